package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/analyse"
)

// MaxScorecardBytes bounds the size of a scorecard file (1 MiB).
const MaxScorecardBytes = 1 << 20

// Expect values of keyword and regex rules, and the fuzzy matching mode.
const (
	ExpectPresent = "present"
	ExpectAbsent  = "absent"
	FuzzyPinyin   = "pinyin"
)

// LoadScorecard reads and validates the scorecard YAML file at path.
func LoadScorecard(path string) (*models.Scorecard, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scorecard: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxScorecardBytes+1))
	if err != nil {
		return nil, fmt.Errorf("load scorecard %s: %w", path, err)
	}
	if len(data) > MaxScorecardBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxScorecardBytes)
	}
	return ParseScorecard(path, data)
}

// ParseScorecard decodes and validates a scorecard; name (usually the file
// path) prefixes every error. Unknown YAML fields are errors, so a misspelt
// option is caught instead of silently ignored.
func ParseScorecard(name string, data []byte) (sc *models.Scorecard, err error) {
	// yaml v3 has panicked on some malformed documents; a scorecard is user
	// input, so turn that into an error.
	defer func() {
		if p := recover(); p != nil {
			sc, err = nil, fmt.Errorf("%s: invalid YAML: %v", name, p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s models.Scorecard
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty scorecard", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one YAML document", name)
	}
	if err := ValidateScorecard(&s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &s, nil
}

// ValidateScorecard checks a scorecard's fields and every rule's, returning
// the first problem found, naming the rule (its 1-based position and its id)
// and the field.
func ValidateScorecard(sc *models.Scorecard) error {
	switch {
	case sc.ID == "":
		return errors.New("id is required")
	case sc.Version < 1:
		return fmt.Errorf("version %d must be >= 1", sc.Version)
	case !finite(sc.BaseScore) || sc.BaseScore <= 0:
		return fmt.Errorf("base_score %v must be > 0", sc.BaseScore)
	case !finite(sc.PassScore) || sc.PassScore < 0:
		return fmt.Errorf("pass_score %v must be >= 0", sc.PassScore)
	case sc.PassScore > sc.BaseScore:
		return fmt.Errorf("pass_score %v must be <= base_score %v", sc.PassScore, sc.BaseScore)
	case len(sc.Rules) == 0:
		return errors.New("rules: at least one rule is required")
	}
	switch sc.NumberMatch {
	case "", models.NumberWhole, models.NumberSubstring:
	default:
		return fmt.Errorf("number_match %q must be %s or %s", sc.NumberMatch, models.NumberWhole, models.NumberSubstring)
	}
	first := make(map[string]int, len(sc.Rules))
	for i := range sc.Rules {
		r := &sc.Rules[i]
		if r.ID == "" {
			return fmt.Errorf("rule %d: id is required", i+1)
		}
		if j, dup := first[r.ID]; dup {
			return fmt.Errorf("rule %d (%s): duplicate id, already used by rule %d", i+1, r.ID, j+1)
		}
		first[r.ID] = i
		if err := validateRule(r); err != nil {
			return fmt.Errorf("rule %d (%s): %w", i+1, r.ID, err)
		}
	}
	if _, err := (analyse.Config{}).WithSettings(sc.Analysis); err != nil {
		return err
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ruleFields lists, per rule type, which type-specific fields apply; setting
// any other one is an error (a silence rule with a speaker is a mistake).
// ok is false for an unknown type.
func ruleFields(typ string) (fields []string, ok bool) {
	switch typ {
	case models.RuleKeyword:
		return []string{"speaker", "any", "all", "fuzzy", "expect", "within",
			"except", "except_within_chars", "not_after", "not_after_within_chars", "near"}, true
	case models.RuleRegex:
		return []string{"speaker", "pattern", "expect", "within"}, true
	case models.RuleSilence:
		return []string{"min_seconds"}, true
	case models.RuleOvertalk:
		return []string{"speaker", "min_seconds"}, true
	case models.RuleSpeechRate:
		return []string{"speaker", "min_cpm", "max_cpm"}, true
	case models.RuleDuration:
		return []string{"shorter_than", "longer_than"}, true
	case models.RuleLevel:
		return []string{"speaker", "min_rms_dbfs", "max_rms_dbfs", "max_clipping"}, true
	case models.RuleHold:
		return []string{"max_seconds", "max_total_seconds", "announce", "announce_within_seconds", "fuzzy"}, true
	}
	return nil, false
}

// setFields names the type-specific fields a rule sets, in YAML order.
func setFields(r *models.Rule) []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("speaker", r.Speaker != "")
	add("any", len(r.Any) > 0)
	add("all", len(r.All) > 0)
	add("fuzzy", r.Fuzzy != "")
	add("expect", r.Expect != "")
	add("within", r.Within != nil)
	add("except", len(r.Except) > 0)
	add("except_within_chars", r.ExceptWithinChars != nil)
	add("not_after", len(r.NotAfter) > 0)
	add("not_after_within_chars", r.NotAfterWithinChars != nil)
	add("near", r.Near != nil)
	add("pattern", r.Pattern != "")
	add("min_seconds", r.MinSeconds != 0)
	add("min_cpm", r.MinCPM != 0)
	add("max_cpm", r.MaxCPM != 0)
	add("shorter_than", r.ShorterThan != 0)
	add("longer_than", r.LongerThan != 0)
	add("min_rms_dbfs", r.MinRMSDBFS != nil)
	add("max_rms_dbfs", r.MaxRMSDBFS != nil)
	add("max_clipping", r.MaxClipping != nil)
	add("max_seconds", r.MaxSeconds != 0)
	add("max_total_seconds", r.MaxTotalSeconds != 0)
	add("announce", len(r.Announce) > 0)
	add("announce_within_seconds", r.AnnounceWithinSeconds != 0)
	return out
}

func validateRule(r *models.Rule) error {
	if r.Name == "" {
		return errors.New("name is required")
	}
	if r.Type == "" {
		return errors.New("type is required")
	}
	allowed, ok := ruleFields(r.Type)
	if !ok {
		return fmt.Errorf("unknown type %q (want keyword, regex, silence, overtalk, speech_rate, duration, level or hold)", r.Type)
	}
	for _, f := range setFields(r) {
		if !slices.Contains(allowed, f) {
			return fmt.Errorf("%s does not apply to a %s rule", f, r.Type)
		}
	}
	// Several rules may feed one indicator (complaint words and media
	// threats as two complaint rules): a call counts once whichever of
	// them fires.
	if r.Indicator != "" && !slices.Contains(models.RuleIndicators, r.Indicator) {
		return fmt.Errorf("indicator %q is not an indicator (want %s)", r.Indicator, strings.Join(models.RuleIndicators, ", "))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"deduct", r.Deduct}, {"max_deduct", r.MaxDeduct}, {"min_seconds", r.MinSeconds},
		{"min_cpm", r.MinCPM}, {"max_cpm", r.MaxCPM}, {"shorter_than", r.ShorterThan}, {"longer_than", r.LongerThan},
	} {
		if !finite(f.v) {
			return fmt.Errorf("%s %v must be a finite number", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"min_rms_dbfs", r.MinRMSDBFS}, {"max_rms_dbfs", r.MaxRMSDBFS}, {"max_clipping", r.MaxClipping}} {
		if f.v != nil && !finite(*f.v) {
			return fmt.Errorf("%s %v must be a finite number", f.name, *f.v)
		}
	}
	switch {
	case r.Deduct < 0:
		return fmt.Errorf("deduct %v must be >= 0", r.Deduct)
	case r.MaxDeduct < 0:
		return fmt.Errorf("max_deduct %v must be >= 0", r.MaxDeduct)
	case r.MaxDeduct != 0 && r.MaxDeduct < r.Deduct:
		return fmt.Errorf("max_deduct %v must be >= deduct %v", r.MaxDeduct, r.Deduct)
	}
	switch r.Speaker {
	case "", models.SpeakerAgent, models.SpeakerCustomer:
	default:
		return fmt.Errorf("speaker %q must be agent, customer or empty", r.Speaker)
	}
	switch r.Expect {
	case "", ExpectPresent, ExpectAbsent:
	default:
		return fmt.Errorf("expect %q must be present or absent", r.Expect)
	}
	if w := r.Within; w != nil {
		switch {
		case !finite(w.FirstSeconds) || w.FirstSeconds < 0:
			return fmt.Errorf("within.first_seconds %v must be >= 0", w.FirstSeconds)
		case !finite(w.LastSeconds) || w.LastSeconds < 0:
			return fmt.Errorf("within.last_seconds %v must be >= 0", w.LastSeconds)
		case w.FirstSeconds > 0 && w.LastSeconds > 0:
			return errors.New("within: set first_seconds or last_seconds, not both")
		case w.FirstSeconds == 0 && w.LastSeconds == 0:
			return errors.New("within: first_seconds or last_seconds must be > 0")
		}
	}

	switch r.Type {
	case models.RuleKeyword:
		switch {
		case len(r.Any) == 0 && len(r.All) == 0:
			return errors.New("keyword rule needs any or all")
		case len(r.Any) > 0 && len(r.All) > 0:
			return errors.New("set any or all, not both")
		}
		switch r.Fuzzy {
		case "", FuzzyPinyin:
		default:
			return fmt.Errorf("fuzzy %q must be pinyin or empty", r.Fuzzy)
		}
		for _, list := range []struct {
			name    string
			phrases []string
		}{{"any", r.Any}, {"all", r.All}} {
			for j, p := range list.phrases {
				if Normalize(p) == "" {
					return fmt.Errorf("%s[%d] %q: no letters or digits to match", list.name, j, p)
				}
			}
		}
		if err := validateContext(r); err != nil {
			return err
		}
	case models.RuleRegex:
		if r.Pattern == "" {
			return errors.New("pattern is required")
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		if re.MatchString("") {
			return fmt.Errorf("pattern %q matches empty text", r.Pattern)
		}
	case models.RuleSilence, models.RuleOvertalk:
		if r.MinSeconds <= 0 {
			return errors.New("min_seconds must be > 0")
		}
	case models.RuleSpeechRate:
		switch {
		case r.MinCPM < 0:
			return fmt.Errorf("min_cpm %v must be >= 0", r.MinCPM)
		case r.MaxCPM < 0:
			return fmt.Errorf("max_cpm %v must be >= 0", r.MaxCPM)
		case r.MinCPM == 0 && r.MaxCPM == 0:
			return errors.New("min_cpm or max_cpm must be > 0")
		case r.MaxCPM > 0 && r.MinCPM > r.MaxCPM:
			return fmt.Errorf("min_cpm %v must be <= max_cpm %v", r.MinCPM, r.MaxCPM)
		}
	case models.RuleDuration:
		switch {
		case r.ShorterThan < 0:
			return fmt.Errorf("shorter_than %v must be >= 0", r.ShorterThan)
		case r.LongerThan < 0:
			return fmt.Errorf("longer_than %v must be >= 0", r.LongerThan)
		case r.ShorterThan == 0 && r.LongerThan == 0:
			return errors.New("shorter_than or longer_than must be > 0")
		}
	case models.RuleHold:
		switch {
		case !finite(r.MaxSeconds) || r.MaxSeconds < 0:
			return fmt.Errorf("max_seconds %v must be >= 0", r.MaxSeconds)
		case !finite(r.MaxTotalSeconds) || r.MaxTotalSeconds < 0:
			return fmt.Errorf("max_total_seconds %v must be >= 0", r.MaxTotalSeconds)
		case !finite(r.AnnounceWithinSeconds) || r.AnnounceWithinSeconds < 0:
			return fmt.Errorf("announce_within_seconds %v must be >= 0", r.AnnounceWithinSeconds)
		case r.MaxSeconds == 0 && r.MaxTotalSeconds == 0 && len(r.Announce) == 0:
			return errors.New("set at least one of max_seconds, max_total_seconds, announce")
		case r.AnnounceWithinSeconds > 0 && len(r.Announce) == 0:
			return errors.New("announce_within_seconds needs announce")
		}
		for j, p := range r.Announce {
			if Normalize(p) == "" {
				return fmt.Errorf("announce[%d] %q: no letters or digits to match", j, p)
			}
		}
		switch r.Fuzzy {
		case "", FuzzyPinyin:
		default:
			return fmt.Errorf("fuzzy %q must be pinyin or empty", r.Fuzzy)
		}
	case models.RuleLevel:
		switch {
		case r.MinRMSDBFS == nil && r.MaxRMSDBFS == nil && r.MaxClipping == nil:
			return errors.New("set at least one of min_rms_dbfs, max_rms_dbfs, max_clipping")
		case r.MinRMSDBFS != nil && r.MaxRMSDBFS != nil && *r.MinRMSDBFS > *r.MaxRMSDBFS:
			return fmt.Errorf("min_rms_dbfs %v must be <= max_rms_dbfs %v", *r.MinRMSDBFS, *r.MaxRMSDBFS)
		case r.MaxClipping != nil && (*r.MaxClipping < 0 || *r.MaxClipping > 1):
			return fmt.Errorf("max_clipping %v must be a ratio between 0 and 1", *r.MaxClipping)
		}
	}
	return nil
}

// validateContext checks a keyword rule's except, not_after and near.
func validateContext(r *models.Rule) error {
	for _, list := range []struct {
		name    string
		phrases []string
	}{{"except", r.Except}, {"not_after", r.NotAfter}} {
		if err := validateContextPhrases(list.name, list.phrases); err != nil {
			return err
		}
	}
	for _, w := range []struct {
		name, needs string
		v           *int
		set         bool
	}{
		{"except_within_chars", "except", r.ExceptWithinChars, len(r.Except) > 0},
		{"not_after_within_chars", "not_after", r.NotAfterWithinChars, len(r.NotAfter) > 0},
	} {
		switch {
		case w.v == nil:
		case !w.set:
			return fmt.Errorf("%s needs %s", w.name, w.needs)
		case *w.v < 0:
			return fmt.Errorf("%s %d must be >= 0", w.name, *w.v)
		}
	}
	n := r.Near
	if n == nil {
		return nil
	}
	switch {
	case len(n.Phrases) == 0:
		return errors.New("near.phrases: at least one phrase is required")
	case n.WithinChars == nil:
		return errors.New("near.within_chars is required (0: adjacent)")
	case *n.WithinChars < 0:
		return fmt.Errorf("near.within_chars %d must be >= 0", *n.WithinChars)
	}
	if err := validateContextPhrases("near.phrases", n.Phrases); err != nil {
		return err
	}
	for j, f := range n.For {
		if !slices.Contains(r.Any, f) && !slices.Contains(r.All, f) {
			return fmt.Errorf("near.for[%d] %q is not one of the rule's phrases", j, f)
		}
	}
	return nil
}

// validateContextPhrases checks a list of context phrases: each has
// something to match, or is a /pattern/ that compiles and does not match
// empty text.
func validateContextPhrases(name string, phrases []string) error {
	for j, p := range phrases {
		if !isPattern(p) {
			if Normalize(p) == "" {
				return fmt.Errorf("%s[%d] %q: no letters or digits to match", name, j, p)
			}
			continue
		}
		re, err := regexp.Compile(p[1 : len(p)-1])
		if err != nil {
			return fmt.Errorf("%s[%d] %q: pattern: %w", name, j, p, err)
		}
		if re.MatchString("") {
			return fmt.Errorf("%s[%d] %q: pattern matches empty text", name, j, p)
		}
	}
	return nil
}
