// Package scale grows a results database to the size of a hotline's year
// and times the reports and pages that read it (issue 14, "measured at
// scale").
//
// A Generator makes models.Result values deterministically from a seed:
// the same Config gives the same results, byte for byte, whatever order
// the days are generated in, because every day draws from its own random
// stream (seeded by the seed and the day's index). The spreads follow a
// 12333-style hotline: a year of days ending Config.End with fewer calls
// at weekends and a seasonal curve (January and July busiest, the Spring
// Festival and National Day quietest); about 400 agents in 12 teams
// serving 6 queues, each agent with a pass probability of their own
// (0.75-0.98); durations log-normal around 150 s (20 s to 20 min); speech
// segments alternating between agent and customer every few seconds, the
// metrics and the 100 ms level envelope that callqa inspect produces;
// findings of the built-in scorecard's rules with its deductions (veto
// rules rare, the complaint indicator in about 1.5% of calls); a
// satisfaction survey on 30% of calls, 1% unprocessable, 2% unanswered; and
// reviews of 3% of the calls the review queue flags, 15% of them
// overturned.
//
// Load stores the results only through the store's SaveResults, in chunks,
// with days spread over workers (the results of different days never wait
// on the same rollup rows), and the reviews through the workbench's
// SaveReview, as the workbench would. Its Stats are what the generator
// made, to compare with what the reports read back.
//
// Time runs the queries of the README's scale table: the callqa report
// command as a new process per run, and the workbench's API and pages
// against a callqa serve it starts. The command callqa-scale
// (internal/scale/cmd/callqa-scale) and scripts/scale.sh drive both.
package scale
