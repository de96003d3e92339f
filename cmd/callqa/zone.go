package main

import (
	"flag"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // --tz works without a system time zone database (distroless images)

	"github.com/callqa/callqa/store"
)

// zoneFlag registers --tz: the hotline's time zone, in which a call's
// started_at gives its date and the workbench shows times.
func zoneFlag(fs *flag.FlagSet, e *env) *string {
	return fs.String("tz", envOr(e, "CALLQA_TZ", store.DefaultTimeZone),
		"time zone of the call dates: a call belongs to the day its started_at falls on there (env CALLQA_TZ)")
}

// parseZone loads a --tz value. "Local" is refused: a date must not depend
// on the machine a worker happens to run on.
func parseZone(cmd, name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || strings.EqualFold(name, "local") {
		return nil, badInput(fmt.Errorf("%s: --tz %q: want a time zone name such as %s or UTC", cmd, name, store.DefaultTimeZone))
	}
	return loc, nil
}
