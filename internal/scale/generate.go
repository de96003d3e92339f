package scale

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/store"
	"github.com/callqa/callqa/workbench"
)

// Defaults of Config.
const (
	DefaultDays   = 365
	DefaultEnd    = "2026-11-25"
	DefaultAgents = 400
)

// Config describes the results a Generator makes. The zero value of every
// field but Results is its documented default.
type Config struct {
	// Seed selects the random streams; the same seed gives the same
	// results.
	Seed uint64
	// Results is how many results to make in all (required, > 0).
	Results int
	// Days is how many days the results span, ending End. Default
	// DefaultDays.
	Days int
	// End is the last call date, YYYY-MM-DD. Default DefaultEnd.
	End string
	// Agents is the number of agents. Default DefaultAgents.
	Agents int
	// Series tells apart loads into the same database: the calls of
	// series 0 are C20261125-000001..., those of series k > 0
	// C20261125-k-000001..., drawn from other streams, so that a database
	// grows by loading one series after another (same agents, same
	// spreads). Default 0.
	Series int
}

// Validate reports a configuration that cannot work, naming the field.
func (c Config) Validate() error {
	switch {
	case c.Results <= 0:
		return fmt.Errorf("scale config: Results %d: want > 0", c.Results)
	case c.Days < 0:
		return fmt.Errorf("scale config: Days %d: want >= 0", c.Days)
	case c.Agents < 0:
		return fmt.Errorf("scale config: Agents %d: want >= 0", c.Agents)
	case c.Series < 0 || c.Series > 999:
		return fmt.Errorf("scale config: Series %d: want 0-999", c.Series)
	}
	if c.End != "" {
		if _, err := time.Parse(time.DateOnly, c.End); err != nil {
			return fmt.Errorf("scale config: End %q: want YYYY-MM-DD", c.End)
		}
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Days == 0 {
		c.Days = DefaultDays
	}
	if c.End == "" {
		c.End = DefaultEnd
	}
	if c.Agents == 0 {
		c.Agents = DefaultAgents
	}
	return c
}

// Day is one call date and how many results the generator makes for it.
type Day struct {
	// Date is YYYY-MM-DD.
	Date string
	// Results is the number of results of the day.
	Results int
	// index is the day's position (0 is the first day), which seeds its
	// random stream.
	index int
}

// Agent is one agent of the generated hotline.
type Agent struct {
	// ID is the agent's job number (1000, 1001...), Name a Chinese name,
	// Team one of 12 teams, two per queue, and Queue the team's queue.
	ID, Name, Team, Queue string
	// PassP is the probability that a call of the agent passes.
	PassP float64
	// weight is the agent's share of the calls, relative to the others'.
	weight float64
}

// Call is one generated result and the reviews made of its findings
// (nil for most calls).
type Call struct {
	Result  *models.Result
	Reviews []workbench.Review
}

// Queues are the hotline's queues; teams serve them two by two.
var Queues = []string{"养老保险", "医疗保险", "就业创业", "劳动关系", "社保卡", "综合咨询"}

// Reviewers are the names the generated reviews are signed with.
var Reviewers = []string{"qa_zhang", "qa_li", "qa_wang", "qa_zhao", "qa_chen", "qa_liu"}

// Shares of the calls (see the package comment).
const (
	shareUnprocessable = 0.01
	shareUnanswered    = 0.02
	shareSurveyed      = 0.30
	shareComplaint     = 0.015
	shareVeto          = 0.003
	shareReviewed      = 0.03 // of the flagged calls
	shareOverturned    = 0.15 // of the reviews
	shareOtherQueue    = 0.15 // calls an agent takes outside their team's queue
)

// Generator makes the results of Config deterministically. Make one with
// NewGenerator; it is safe for concurrent use (each call of Generate has
// its own random stream).
type Generator struct {
	cfg    Config
	card   *models.Scorecard
	loc    *time.Location
	days   []Day
	agents []Agent
	// cum is the cumulative weight of agents, for drawing one.
	cum []float64
	// rules sorts the card's rules by what the generator does with them.
	minor, veto, complaint []*models.Rule
}

// NewGenerator returns the generator of cfg's results, scored with card
// (the built-in scorecard in callqa-scale): findings are drawn from its
// rules with their deductions, scores and verdicts follow its base and
// pass scores.
func NewGenerator(cfg Config, card *models.Scorecard) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if card == nil {
		return nil, errors.New("new generator: nil scorecard")
	}
	cfg = cfg.withDefaults()
	g := &Generator{cfg: cfg, card: card, loc: store.DefaultLocation()}
	for i := range card.Rules {
		r := &card.Rules[i]
		switch {
		case r.Veto:
			g.veto = append(g.veto, r)
		case r.Indicator == models.IndicatorComplaint:
			g.complaint = append(g.complaint, r)
		case r.Deduct > 0 && r.Type != models.RuleDuration:
			g.minor = append(g.minor, r)
		}
	}
	if len(g.minor) == 0 {
		return nil, fmt.Errorf("new generator: scorecard %s has no rule with a deduction", card.ID)
	}
	g.makeDays()
	g.makeAgents()
	return g, nil
}

// Config returns the generator's configuration, defaults applied.
func (g *Generator) Config() Config { return g.cfg }

// Days returns the days in date order with their number of results; they
// add up to Config.Results.
func (g *Generator) Days() []Day { return g.days }

// Agents returns the agents.
func (g *Generator) Agents() []Agent { return g.agents }

// BusiestDay returns the day with the most results (the first of equals).
func (g *Generator) BusiestDay() Day {
	best := g.days[0]
	for _, d := range g.days {
		if d.Results > best.Results {
			best = d
		}
	}
	return best
}

// monthFactor is the seasonal curve of a 12333 hotline: pension
// recertification in January, the yearly base adjustment in July, the
// Spring Festival in February and National Day in October.
var monthFactor = [13]float64{0, 1.25, 0.75, 1.10, 1.00, 0.95, 1.05, 1.25, 1.10, 0.95, 0.80, 1.00, 1.10}

// weekdayFactor is the share of a weekday's calls answered on each day of
// the week (Sunday first).
var weekdayFactor = [7]float64{0.35, 1.08, 1.02, 1.00, 0.98, 0.95, 0.45}

func (g *Generator) makeDays() {
	end, _ := time.Parse(time.DateOnly, g.cfg.End)
	n := g.cfg.Days
	weights := make([]float64, n)
	total := 0.0
	r := rand.New(rand.NewPCG(g.cfg.Seed, 0x5ca1e0da75))
	for i := range n {
		d := end.AddDate(0, 0, i-n+1)
		w := weekdayFactor[d.Weekday()] * monthFactor[d.Month()] * (0.9 + 0.2*r.Float64())
		weights[i] = w
		total += w
		g.days = append(g.days, Day{Date: d.Format(time.DateOnly), index: i})
	}
	// Largest remainder: the days add up to Results exactly.
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, n)
	left := g.cfg.Results
	for i, w := range weights {
		exact := float64(g.cfg.Results) * w / total
		g.days[i].Results = int(exact)
		left -= g.days[i].Results
		rems[i] = rem{i, exact - math.Floor(exact)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].f > rems[b].f })
	for k := 0; k < left; k++ {
		g.days[rems[k%n].i].Results++
	}
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenNames = []string{"敏", "伟", "芳", "娜", "秀英", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
	"平", "刚", "桂英", "晨", "欣怡", "梓涵", "子轩", "浩然", "雨萱", "思远", "佳琪", "文博", "婷", "慧", "建华", "晓燕", "玉兰", "志强", "海燕", "春梅"}
var teamSuffixes = []string{"一组", "二组"}

func (g *Generator) makeAgents() {
	r := rand.New(rand.NewPCG(g.cfg.Seed, 0xa6e275))
	sum := 0.0
	for i := range g.cfg.Agents {
		team := i % (2 * len(Queues))
		queue := Queues[team/2]
		a := Agent{
			ID:     fmt.Sprint(1000 + i),
			Name:   string(surnames[r.IntN(len(surnames))]) + givenNames[r.IntN(len(givenNames))],
			Team:   queue + teamSuffixes[team%2],
			Queue:  queue,
			PassP:  0.75 + 0.23*r.Float64(),
			weight: 0.6 + 0.8*r.Float64(),
		}
		sum += a.weight
		g.agents = append(g.agents, a)
		g.cum = append(g.cum, sum)
	}
}

func (g *Generator) pickAgent(r *rand.Rand) *Agent {
	x := r.Float64() * g.cum[len(g.cum)-1]
	i := sort.SearchFloat64s(g.cum, x)
	return &g.agents[min(i, len(g.agents)-1)]
}

// Generate makes the results of day d in order, calling fn with every
// chunk of at most size calls (the slice is fn's until it returns; it is
// not reused). It stops at fn's first error, or when ctx is done, and
// returns the error.
func (g *Generator) Generate(ctx context.Context, d Day, size int, fn func([]Call) error) error {
	if size <= 0 {
		size = 1000
	}
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(g.cfg.Series)<<32|uint64(d.index+1)))
	date, err := time.ParseInLocation(time.DateOnly, d.Date, g.loc)
	if err != nil {
		return fmt.Errorf("generate %s: %w", d.Date, err)
	}
	// Start times: spread over 08:00-20:00, sorted so call ids follow them.
	starts := make([]float64, d.Results)
	for i := range starts {
		// Two humps, mid-morning and mid-afternoon.
		h := 10.0 + r.NormFloat64()*1.3
		if r.Float64() < 0.45 {
			h = 15.0 + r.NormFloat64()*1.5
		}
		starts[i] = math.Min(math.Max(h, 8), 19.999) * 3600
	}
	sort.Float64s(starts)
	chunk := make([]Call, 0, size)
	for i := range d.Results {
		at := date.Add(time.Duration(starts[i] * float64(time.Second))).Truncate(time.Second)
		chunk = append(chunk, g.call(r, d, i, at))
		if len(chunk) == size || i == d.Results-1 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("generate %s: %w", d.Date, err)
			}
			if err := fn(chunk); err != nil {
				return err
			}
			chunk = make([]Call, 0, size)
		}
	}
	return nil
}

// call makes the seq-th call of day d, started at at.
func (g *Generator) call(r *rand.Rand, d Day, seq int, at time.Time) Call {
	a := g.pickAgent(r)
	queue := a.Queue
	if r.Float64() < shareOtherQueue {
		queue = Queues[r.IntN(len(Queues))]
	}
	compact := d.Date[:4] + d.Date[5:7] + d.Date[8:]
	id := fmt.Sprintf("C%s-%06d", compact, seq+1)
	if g.cfg.Series > 0 {
		id = fmt.Sprintf("C%s-%d-%06d", compact, g.cfg.Series, seq+1)
	}
	res := &models.Result{
		CallID:    id,
		Recording: fmt.Sprintf("%s/%s/%s/%s.wav", d.Date[:4], d.Date[5:7], d.Date[8:], id),
		Status:    models.StatusInspected,
		Scorecard: models.ScorecardRef{ID: g.card.ID, Version: g.card.Version},
		Analysis:  &models.AnalysisRef{VAD: "silero-v5", Version: 2},
		Meta: models.CallMeta{CallID: id, AgentID: a.ID, AgentName: a.Name, Team: a.Team, Queue: queue,
			StartedAt: &at, Direction: "inbound"},
		Findings: []models.Finding{},
	}
	if r.Float64() < shareUnanswered {
		no := false
		res.Meta.Answered = &no
	}
	if r.Float64() < shareSurveyed {
		switch x := r.Float64(); {
		case x < 0.80:
			res.Meta.Satisfaction = models.SatisfactionSatisfied
		case x < 0.94:
			res.Meta.Satisfaction = models.SatisfactionBasic
		default:
			res.Meta.Satisfaction = models.SatisfactionDissatisfied
		}
	}
	if r.Float64() < shareUnprocessable {
		res.Status = models.StatusUnprocessable
		res.Error = "decode: wav: data chunk shorter than its header says and no whole frame in it"
		res.Findings = nil
		return Call{Result: res}
	}
	dur := math.Round(math.Min(math.Max(150*math.Exp(0.75*r.NormFloat64()), 20), 1200)*100) / 100
	res.Audio = &models.AudioInfo{Format: "pcm_mulaw", SampleRate: 8000, Channels: 2, BitsPerSample: 8, DurationS: dur}

	plan := g.plan(r, a, dur)
	tl := timeline(r, dur, plan)
	res.Metrics = tl.metrics(r, plan)
	res.Envelope = tl.envelope(r, dur)
	res.Findings = g.findings(r, plan, tl, dur)
	score, veto := g.card.BaseScore, false
	for _, f := range res.Findings {
		score -= f.Deduct
		veto = veto || f.Veto
		res.Review = res.Review || f.Review
	}
	res.Score = math.Max(score, 0)
	res.Passed = !veto && res.Score >= g.card.PassScore
	return Call{Result: res, Reviews: g.reviews(r, res, at)}
}

// plan is what a call will be found to have done wrong: hits per rule, in
// the card's order of rules.
type plan struct {
	hits map[*models.Rule]int
	// silences and overtalks to place in the timeline for the silence and
	// overtalk rules' hits.
	longSilences, overtalks int
	slowLevel, fast         bool
	hold                    int
}

// plan draws the call's findings so that it passes with the agent's
// probability: a passing call loses at most base-pass points, a failing
// one more (or hits a veto rule).
func (g *Generator) plan(r *rand.Rand, a *Agent, dur float64) plan {
	p := plan{hits: map[*models.Rule]int{}}
	spent := map[*models.Rule]float64{}
	margin := g.card.BaseScore - g.card.PassScore
	lost := 0.0
	add := func(rule *models.Rule) float64 {
		if p.hits[rule] >= maxHits(rule) {
			return 0
		}
		cost := rule.Deduct
		if limit := max(rule.MaxDeduct, rule.Deduct); spent[rule]+cost > limit {
			cost = math.Max(limit-spent[rule], 0)
		}
		spent[rule] += cost
		p.hits[rule]++
		return cost
	}
	eligible := func(rule *models.Rule) bool { return rule.Type != models.RuleHold || dur > 120 }
	if r.Float64() < shareVeto && len(g.veto) > 0 {
		add(g.veto[r.IntN(len(g.veto))])
	}
	pass := r.Float64() < a.PassP
	switch {
	case pass && r.Float64() < 0.45:
		// A clean call.
	case pass:
		for range 1 + r.IntN(2) {
			rule := g.minor[r.IntN(len(g.minor))]
			if !eligible(rule) {
				continue
			}
			cost := rule.Deduct
			if s := spent[rule]; s+cost > max(rule.MaxDeduct, rule.Deduct) {
				cost = 0
			}
			if lost+cost > margin {
				continue
			}
			lost += add(rule)
		}
	default:
		for tries := 0; lost <= margin && tries < 50; tries++ {
			if rule := g.minor[r.IntN(len(g.minor))]; eligible(rule) {
				lost += add(rule)
			}
		}
	}
	if len(g.complaint) > 0 && r.Float64() < shareComplaint {
		add(g.complaint[r.IntN(len(g.complaint))])
	}
	for rule, n := range p.hits {
		switch rule.Type {
		case models.RuleSilence:
			p.longSilences += n
		case models.RuleOvertalk:
			p.overtalks += n
		case models.RuleLevel:
			p.slowLevel = true
		case models.RuleSpeechRate:
			p.fast = true
		case models.RuleHold:
			p.hold += n
		}
	}
	return p
}

// maxHits is how many findings of rule a call can have in the
// generator's calls: the hits that cost points (a keyword rule's missing
// phrase is one finding).
func maxHits(rule *models.Rule) int {
	if rule.MaxDeduct > rule.Deduct && rule.Deduct > 0 {
		return int(rule.MaxDeduct / rule.Deduct)
	}
	return 1
}

// reviews are the reviews of the call's findings when the call is among
// the flagged calls a reviewer opened (shareReviewed of them).
func (g *Generator) reviews(r *rand.Rand, res *models.Result, at time.Time) []workbench.Review {
	o := workbench.CallOutcome{CallID: res.CallID, Passed: res.Passed, Review: res.Review}
	for _, f := range res.Findings {
		o.Veto = o.Veto || f.Veto
	}
	// Draw every time, flagged or not, so that the stream does not depend
	// on the calibration sample.
	x, reviewer := r.Float64(), Reviewers[r.IntN(len(Reviewers))]
	if workbench.FlagReason(o, workbench.DefaultCalibrationRate) == "" || x >= shareReviewed || len(res.Findings) == 0 {
		return nil
	}
	var out []workbench.Review
	for i, f := range res.Findings {
		decision := workbench.DecisionConfirm
		if r.Float64() < shareOverturned {
			decision = workbench.DecisionOverturn
		}
		out = append(out, workbench.Review{
			Recording: res.Recording, CallID: res.CallID, Rule: f.Rule, StartMS: models.StartMS(f.Start),
			Decision: decision, Reviewer: reviewer, Comment: "",
			ScorecardID: res.Scorecard.ID, ScorecardVersion: res.Scorecard.Version,
			ReviewedAt: at.Add(20*time.Hour + time.Duration(i)*time.Minute).UTC(),
		})
	}
	return out
}
