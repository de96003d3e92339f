// Package web is the review workbench and pass-rate dashboard served by
// `callqa serve`: QA staff (质检员) open the calls the engine flagged, listen
// to the moment each finding points at and confirm or overturn it;
// supervisors watch the machine and reviewed pass rates and how often each
// rule is overturned. Pages are server-rendered with html/template, charts
// are server-side SVG and every asset is embedded, so the workbench works
// with no internet access and needs no JavaScript build step.
//
// Access: nothing but the login page without a session. Roles:
//
//   - admin: everything, including user management;
//   - reviewer: the review queue, call pages (recordings, transcripts),
//     reviews and verdicts, the dashboard and exports;
//   - viewer: the dashboard, reports and exports only. Viewers never see
//     call pages, transcripts or recordings: those are personal data.
//
// Every state-changing request (POST) carries the session's CSRF token, as
// the form field "csrf" or the X-CSRF-Token header. The JSON API under
// /api/ mirrors the pages with the same authorisation.
//
// It is one package of about 4,000 lines, above the house's 1,500, on
// purpose: the pages, the JSON API mirroring them, the exports and the
// audio player share one server's authorisation, CSRF checks, templates
// and served scorecards, and each page and its API are written once over
// the same view data. Its files are split by page (call, queue, dashboard,
// admin) and by concern (auth, audio, exports).
package web
