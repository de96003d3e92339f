package worker

import dto "github.com/prometheus/client_model/go"

// CallsCounted returns the calls counter of one result, for tests.
func CallsCounted(m *Metrics, result string) float64 {
	var out dto.Metric
	if err := m.calls.WithLabelValues(result).Write(&out); err != nil {
		panic(err)
	}
	return out.GetCounter().GetValue()
}

// SetPageSize sets how many tasks the plan handler enqueues between
// updates of the batch total, for tests.
func SetPageSize(h *PlanHandler, n int) { h.pageSize = n }
