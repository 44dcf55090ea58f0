# festival.R: R's tslm with Spring Festival week dummies on the seeded region's weekly brand and total
# series, at the origins of the festival benchmark (docs/BENCHMARKS.md, "Moving holidays"): 1–8 weeks
# before each Spring Festival with a year of history before the origin, 8 weeks ahead, fitted on the
# sell-in corrected for censored demand (what the engine learns from) and scored against true demand.
# Each festival's origins are fitted on the history the engine had for them: the simple correction's
# (festival_weekly.csv, the default) or the one learnt from the scans before the festival's first
# origin (festival_weekly_learnt.csv).
#
#   ORDERCAST_FESTIVAL_CSV=/tmp/fest go test -run '^$' -bench Festival -benchtime 1x -v ./forecast/
#   Rscript docs/bench/festival.R /tmp/fest
#   Rscript docs/bench/festival.R /tmp/fest festival_weekly_learnt.csv
#
# Each brand and the total are fitted on their own series: trend + one dummy per week offset −4 … +3
# to the festival's week (weeks before it positive), dummies never 1 before the origin left out.
suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) > 0) args[1] else "/tmp/fest"
file <- if (length(args) > 1) args[2] else "festival_weekly.csv"
all <- read.csv(file.path(dir, file), stringsAsFactors = FALSE)
fest <- as.Date(read.csv(file.path(dir, "festival_calendar.csv"))$festival)
weeks <- sort(unique(as.Date(all$week)))
n <- length(weeks)
h <- 8

# weeks until the nearest festival: 0 for the week holding it, 1 the week before, -1 the week after
until <- sapply(weeks, function(m) {
  days <- as.numeric(fest - m)
  w <- ifelse(days >= 0, days %/% 7, -((-days + 6) %/% 7))
  w[which.min(abs(w))]
})
offsets <- 4:-3
dummies <- sapply(offsets, function(o) as.numeric(until == o))
colnames(dummies) <- paste0("w", ifelse(offsets < 0, paste0("m", -offsets), offsets))

series <- function(b, col) {
  x <- d[d$brand == b, ]
  x <- x[order(as.Date(x$week)), ]
  x[[col]]
}

fit_forecast <- function(y, o) {
  X <- dummies[1:o, , drop = FALSE]
  keep <- colSums(X) > 0
  X <- X[, keep, drop = FALSE]
  Xf <- dummies[(o + 1):(o + h), keep, drop = FALSE]
  yt <- ts(y[1:o], frequency = 52)
  fit <- if (ncol(X) > 0) tslm(yt ~ trend + X) else tslm(yt ~ trend)
  nd <- data.frame(trend = (o + 1):(o + h))
  nd$X <- Xf
  f <- if (ncol(X) > 0) forecast(fit, newdata = nd, h = h) else forecast(fit, h = h)
  pmax(as.numeric(f$mean), 0)
}

brands <- setdiff(unique(all$brand), "TOTAL")
start <- Sys.time()
tot_err <- 0; br_err <- 0; act <- 0; peak <- c(); origins <- 0
for (fd in as.list(fest)) {
  fw <- which(weeks <= fd & weeks + 7 > fd)
  if (length(fw) == 0) next
  d <- all[as.Date(all$festival) == fd, ] # the history of this festival's origins
  if (nrow(d) == 0) next
  for (back in 1:8) {
    o <- fw - back - 1 # the last week seen (1-based): the origin's forecast starts at week o + 1
    if (o < 52 || o + h > n) next
    A <- series("TOTAL", "demand")[(o + 1):(o + h)]
    Ft <- fit_forecast(series("TOTAL", "corrected_sales"), o)
    tot_err <- tot_err + sum(abs(Ft - A))
    act <- act + sum(A)
    for (b in brands) {
      Fb <- fit_forecast(series(b, "corrected_sales"), o)
      br_err <- br_err + sum(abs(Fb - series(b, "demand")[(o + 1):(o + h)]))
    }
    p <- fw - 1 - o # the week before the festival's, within the horizon
    if (p >= 1 && p <= h) peak <- c(peak, (Ft[p] - A[p]) / A[p])
    origins <- origins + 1
  }
}
cat(sprintf("%s: tslm + festival dummies, %d origins: total WAPE %.3f, brand WAPE %.3f, peak week %+.1f%% (%.1f s)\n",
            file, origins, tot_err / act, br_err / act, 100 * mean(peak), as.numeric(Sys.time() - start, units = "secs")))
