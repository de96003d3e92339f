package worker

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynq/x/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/callqa/callqa/models"
)

// Metrics are the worker's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	tasks        *prometheus.CounterVec
	taskDuration *prometheus.HistogramVec
	calls        *prometheus.CounterVec
	audioSeconds prometheus.Counter
	inspectTime  prometheus.Histogram
	phases       *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg:
//
//	callqa_tasks_total{type,outcome}           tasks by outcome: ok, skip_retry, retry, panic
//	callqa_task_duration_seconds{type}         handler time
//	callqa_calls_total{result}                 passed, failed, unprocessable, skipped
//	callqa_audio_seconds_total                 seconds of audio inspected
//	callqa_inspection_duration_seconds         InspectKey + SaveResult per call
//	callqa_call_phase_seconds{phase}           lookup (is it done? PostgreSQL), inspect (S3 reads and analysis), save (PostgreSQL)
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callqa_tasks_total", Help: "Tasks processed, by type and outcome (ok, skip_retry, retry, panic).",
		}, []string{"type", "outcome"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callqa_task_duration_seconds", Help: "Time spent in a task handler.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"type"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callqa_calls_total", Help: "Calls handled, by result (passed, failed, unprocessable, skipped).",
		}, []string{"result"}),
		audioSeconds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "callqa_audio_seconds_total", Help: "Seconds of audio inspected.",
		}),
		inspectTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callqa_inspection_duration_seconds", Help: "Time to inspect and store one call.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
	}
	m.phases = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "callqa_call_phase_seconds", Help: "Time of the phases of a call:inspect task: lookup (is the call done already), inspect (S3 reads and analysis), save (the result written).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"phase"})
	reg.MustRegister(m.tasks, m.taskDuration, m.calls, m.audioSeconds, m.inspectTime, m.phases)
	return m
}

func (m *Metrics) task(typ, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.tasks.WithLabelValues(typ, outcome).Inc()
	m.taskDuration.WithLabelValues(typ).Observe(d.Seconds())
}

func (m *Metrics) phase(name string, d time.Duration) {
	if m == nil {
		return
	}
	m.phases.WithLabelValues(name).Observe(d.Seconds())
}

func (m *Metrics) call(result string, _ *models.Result) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(result).Inc()
}

func (m *Metrics) inspected(r *models.Result, d time.Duration) {
	if m == nil {
		return
	}
	m.inspectTime.Observe(d.Seconds())
	switch {
	case r.Status == models.StatusUnprocessable:
		m.call("unprocessable", r)
	case r.Passed:
		m.call("passed", r)
	default:
		m.call("failed", r)
	}
	if r.Audio != nil {
		m.audioSeconds.Add(r.Audio.DurationS)
	}
}

// NewRegistry returns a registry with the Go runtime and process
// collectors, the worker's metrics and, when inspector is not nil, asynq's
// queue metrics (asynq_tasks_enqueued_total, asynq_queue_size, ... from
// github.com/hibiken/asynq/x/metrics), read from Redis at each scrape.
func NewRegistry(inspector *asynq.Inspector) (*prometheus.Registry, *Metrics) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if inspector != nil {
		reg.MustRegister(metrics.NewQueueMetricsCollector(inspector))
	}
	return reg, NewMetrics(reg)
}

// RegisterDBMetrics registers with reg the connection pool statistics of
// db (go_sql_open_connections, go_sql_idle_connections,
// go_sql_wait_count_total, go_sql_max_idle_closed_total, ... labelled
// db_name="callqa") and callqa_db_connections_opened_total, the
// connections opened so far as opened reports them
// (store.Store.ConnectionsOpened): a pool that churns shows there.
func RegisterDBMetrics(reg prometheus.Registerer, db *sql.DB, opened func() int64) {
	reg.MustRegister(collectors.NewDBStatsCollector(db, "callqa"),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "callqa_db_connections_opened_total", Help: "Database connections opened by the results store.",
		}, func() float64 { return float64(opened()) }))
}

// Checker is one readiness check (Redis ping, database ping).
type Checker func(ctx context.Context) error

// OpsHandler serves /metrics from reg, /healthz (the process is up) and
// /readyz (every check passes within 2 seconds).
func OpsHandler(reg *prometheus.Registry, checks map[string]Checker) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		failed := false
		var body []byte
		for name, check := range checks {
			if err := check(ctx); err != nil {
				failed = true
				body = append(body, (name + ": " + err.Error() + "\n")...)
			} else {
				body = append(body, (name + ": ok\n")...)
			}
		}
		if failed {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write(body)
	})
	return mux
}
