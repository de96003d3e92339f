package web

import (
	"html/template"
	"net/url"
	"strings"
	"time"
)

// hotlineZone is the default Config.Location: Asia/Shanghai, or UTC+8
// fixed when the time zone database is missing (China has no daylight
// saving time, so the two agree).
func hotlineZone() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// today is the current date in the hotline's time zone, the zone of the
// calls' call_date.
func (s *Server) today() time.Time { return s.now().In(s.cfg.Location) }

// callURL is the URL of a call's page, or of one of its sub-resources
// (callURL(id, rec, "audio")): the call id escaped as one path segment (an
// id with ?, #, % or / stays one segment, and "." and "..", which a
// browser would resolve, are percent-encoded), then the recording's key
// in the query, which names the call when several recordings carry one
// call id. rec may be "" (the page then finds the call by its id).
func callURL(id, rec string, sub ...string) string {
	seg := url.PathEscape(id)
	if strings.Trim(id, ".") == "" {
		seg = strings.Repeat("%2E", len(id))
	}
	u := "/calls/" + seg
	for _, p := range sub {
		u += "/" + p
	}
	if rec != "" {
		u += "?rec=" + url.QueryEscape(rec)
	}
	return u
}

// pageFuncs are the template functions that depend on the server's
// configuration, and those of the dashboard.
func pageFuncs(loc *time.Location) template.FuncMap {
	return template.FuncMap{
		// tz formats a time in the hotline's time zone; "" for the zero time.
		"tz": func(t time.Time, layout string) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format(layout)
		},
		"callURL": callURL,
		"rates": func(title, keyHeader, table string, rows []rateRow, links exportLinks) map[string]any {
			return map[string]any{"Title": title, "KeyHeader": keyHeader, "Table": table, "Rows": rows, "Links": links}
		},
	}
}
