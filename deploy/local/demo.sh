#!/usr/bin/env bash
# The README's main command (make demo): local stores up, schemas migrated, demo data loaded (a
# synthetic region once, and the Walmart and M5 histories when ../shared/data is there), then
# ordercast serves the API and pages on http://127.0.0.1:8080 until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
[ -x bin/ordercast ] || go build -o bin/ordercast ./cmd/ordercast # make demo builds it with its version

eval "$(deploy/local/up.sh)"
export ORDERCAST_PG_DSN ORDERCAST_CH_DSN
bin/ordercast migrate
# A synthetic region with two years of history, once: later runs keep what the stores hold.
bin/ordercast seed -if-empty
# The real histories beside the project, as imported datasets (idempotent: re-importing replaces).
if [ -f ../shared/data/walmart/train.csv ]; then
	bin/ordercast import history --csv ../shared/data/walmart/train.csv --dataset walmart \
		--outlet Store --brand Dept --date Date --qty Weekly_Sales --period week
	bin/ordercast import history --csv ../shared/data/m5/sales_daily.csv --dataset m5 \
		--outlet store_id --brand item_id --date date --qty sales
	# Their holiday calendars: Walmart's IsHoliday weeks (features.csv runs 9 months past the sales),
	# M5's calendar events; the engine learns a profile by weeks to each holiday.
	bin/ordercast import holidays --dataset walmart --from walmart-flags --csv ../shared/data/walmart/features.csv
	bin/ordercast import holidays --dataset m5 --from m5-calendar --csv ../shared/data/m5/calendar.csv
fi
# The forecast accuracy of the last month the history covers whole, so that the managers' monthly
# indicator has values on the first day: a forecast made before that month, scored against sales
# and against requested quantities. The history ends with last week's Sunday, in the region's time
# zone (seed's and serve's -timezone), not the machine's.
today=$(TZ=${ORDERCAST_TIMEZONE:-Asia/Shanghai} date +%F)
this_monday=$(date -d "$today -$(( $(date -d "$today" +%u) - 1 )) days" +%F)
month_start=$(date -d "${today:0:8}01 -1 month" +%F)
if [ "$(date -d "${today:0:8}01 -1 day" +%F)" \> "$(date -d "$this_monday -1 day" +%F)" ]; then
	month_start=$(date -d "$month_start -1 month" +%F)
fi
as_of=$(date -d "$month_start -$(( $(date -d "$month_start" +%u) - 1 )) days" +%F) # the Monday on or before it
bin/ordercast forecast run -as-of "$as_of" -horizon 6
bin/ordercast score -month "${month_start:0:7}"
bin/ordercast score -month "${month_start:0:7}" -against requested
# A forecast of the weeks ahead, for suggested quantities and demand allocations (about half a
# minute on the default region).
bin/ordercast forecast run -horizon 8 # the balance's weeks, as serve's weekly run
exec bin/ordercast serve --log-format text "$@"
