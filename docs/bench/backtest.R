#!/usr/bin/env Rscript
# Reference backtest in R's forecast package, by the protocol of BACKTEST.md, on the same windows as
# `go test ./forecast/ -run TestRealDataBacktest -v`.
#
#   Rscript docs/bench/backtest.R [data dir, default ../shared/data] [methods, default naive,snaive,ets,stlf] [errors.csv] [origins, default 3]
#
# With a third argument it also writes, per dataset, method, series and origin, the absolute error and
# the absolute actuals summed over the horizon (dataset,method,outlet,brand,origin,abs_err,abs_actual),
# so that WAPE can be summed over any subset of the series (forecast's TestRealDataSubsets reads it).
#
# Needs Debian's r-cran-forecast (apt-get install -y r-cran-forecast). Prints, per dataset and method,
# the WAPE over all series, origins and horizons, and the seconds spent fitting and forecasting.
#
# Output on the project machine (R forecast 8.20, 2 shared cores), matching BACKTEST.md's figures:
#   walmart: 2287 series, 143 weeks, origins 2012-09-24 2012-08-27 2012-07-30
#     naive WAPE 0.1296 (0.1 s)   snaive 0.1103 (0.1 s)   ets 0.1231 (64.8 s)   stlf 0.0818 (94.7 s)
#   m5: 196 series, 273 weeks, origins 2016-03-21 2016-02-22 2016-01-25
#     naive WAPE 0.2838 (0.0 s)   snaive 0.3758 (0.0 s)   ets 0.2547 (6.9 s)    stlf 0.2825 (7.4 s)
suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[1] else file.path("..", "shared", "data")
methods <- if (length(args) >= 2) strsplit(args[2], ",")[[1]] else c("naive", "snaive", "ets", "stlf")
errors_file <- if (length(args) >= 3) args[3] else ""
if (errors_file != "") cat("dataset,method,outlet,brand,origin,abs_err,abs_actual\n", file = errors_file)
h <- 4; K <- if (length(args) >= 4) as.integer(args[4]) else 3; step <- 4

# weekly_matrix sums values into Monday-start weeks (series × weeks, a missing week is 0). For daily
# data a week is kept only when all 7 of its days occur somewhere in the data.
weekly_matrix <- function(outlet, brand, day, qty, daily) {
  monday <- day - (as.integer(format(day, "%u")) - 1)
  weeks <- sort(unique(monday))
  if (daily) {
    days_per_week <- tapply(unique(day), monday[match(unique(day), day)], length)
    full <- as.Date(names(days_per_week)[days_per_week == 7])
    weeks <- weeks[weeks %in% full]
  }
  key <- paste(outlet, brand, sep = "\r")
  keys <- sort(unique(key))
  keep <- monday %in% weeks
  m <- matrix(0, nrow = length(keys), ncol = length(weeks))
  agg <- tapply(qty[keep], list(factor(key[keep], levels = keys),
                                factor(as.character(monday[keep]), levels = as.character(weeks))), sum)
  agg[is.na(agg)] <- 0
  m[, ] <- agg
  parts <- strsplit(keys, "\r")
  list(values = m, outlet = sapply(parts, `[`, 1), brand = sapply(parts, `[`, 2), weeks = weeks)
}

fc <- function(method, y) {
  o <- length(y)
  switch(method,
    naive = rep(y[o], h),
    snaive = y[o - 52 + seq_len(h)],
    ets = as.numeric(forecast(ets(ts(y)), h = h)$mean),
    stlf = if (o >= 104) as.numeric(stlf(ts(y, frequency = 52), h = h)$mean) else rep(NA_real_, h),
    stop("unknown method ", method))
}

backtest <- function(name, d) {
  T <- ncol(d$values)
  origins <- T - h - step * (0:(K - 1))
  cat(sprintf("%s: %d series, %d weeks, origins %s\n", name, nrow(d$values), T,
              paste(format(d$weeks[origins]), collapse = " ")))
  # Per series and origin: the absolute error and actuals over the horizon (NA where skipped), kept
  # in preallocated vectors inside the timing and formatted for errors_file after it.
  n <- nrow(d$values) * length(origins)
  series <- rep(seq_len(nrow(d$values)), each = length(origins))
  at <- rep(origins, times = nrow(d$values))
  for (method in methods) {
    skipped <- 0; failed <- 0
    err <- rep(NA_real_, n); act <- rep(NA_real_, n)
    secs <- system.time({
      for (j in seq_len(n)) {
        i <- series[j]; o <- at[j]
        y <- d$values[i, 1:o]
        a <- d$values[i, o + seq_len(h)]
        f <- tryCatch(fc(method, y), error = function(e) { failed <<- failed + 1; rep(y[o], h) })
        if (anyNA(f)) { skipped <- skipped + 1; next }
        f <- pmax(f, 0)
        err[j] <- sum(abs(a - f)); act[j] <- sum(abs(a))
      }
    })[["elapsed"]]
    if (errors_file != "") {
      done <- !is.na(err)
      cat(sprintf("%s,%s,%s,%s,%s,%.9g,%.9g\n", name, method, d$outlet[series[done]], d$brand[series[done]],
                  format(d$weeks[at[done] + 1]), err[done], act[done]), sep = "", file = errors_file, append = TRUE)
    }
    num <- sum(err, na.rm = TRUE); den <- sum(act, na.rm = TRUE)
    cat(sprintf("  %-7s WAPE %.4f  %7.1f s  (skipped %d, failed→naive %d)\n", method, num / den, secs, skipped, failed))
  }
}

w <- read.csv(file.path(data_dir, "walmart", "train.csv"))
backtest("walmart", weekly_matrix(w$Store, w$Dept, as.Date(w$Date), w$Weekly_Sales, daily = FALSE))
m5 <- read.csv(file.path(data_dir, "m5", "sales_daily.csv"))
backtest("m5", weekly_matrix(m5$store_id, m5$item_id, as.Date(m5$date), m5$sales, daily = TRUE))
