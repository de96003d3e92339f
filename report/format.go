package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/width"
)

// Output formats.
const (
	FormatTable = "table"
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatXLSX  = "xlsx"
)

// Formats lists the output formats.
var Formats = []string{FormatTable, FormatCSV, FormatJSON, FormatXLSX}

// CellKind says how a cell is rendered.
type CellKind int

// Cell kinds.
const (
	Text    CellKind = iota // a string
	Integer                 // a count
	Number                  // a score or points
	Percent                 // a ratio shown as a percentage
)

// Cell is one value of a sheet. A nil-valued number (no pass rate) is Empty.
type Cell struct {
	Kind  CellKind
	Text  string
	Num   float64
	Empty bool
}

func textCell(s string) Cell { return Cell{Kind: Text, Text: s} }
func intCell(n int) Cell     { return Cell{Kind: Integer, Num: float64(n)} }
func numCell(x float64) Cell { return Cell{Kind: Number, Num: x} }
func pctCell(x float64) Cell { return Cell{Kind: Percent, Num: x} }
func optCell(k CellKind, x *float64) Cell {
	if x == nil {
		return Cell{Kind: k, Empty: true}
	}
	return Cell{Kind: k, Num: *x}
}

// String renders the cell as text: counts as integers, numbers with up to
// two decimals, ratios as percentages with one decimal, empty as "".
func (c Cell) String() string {
	switch {
	case c.Empty:
		return ""
	case c.Kind == Text:
		return c.Text
	case c.Kind == Integer:
		return strconv.FormatInt(int64(c.Num), 10)
	case c.Kind == Percent:
		return strconv.FormatFloat(100*c.Num, 'f', 1, 64) + "%"
	default:
		return strconv.FormatFloat(c.Num, 'f', -1, 64)
	}
}

// Sheet is a report laid out for output: a title, Chinese column headers,
// rows of cells and notes.
type Sheet struct {
	Name    string // sheet (tab) name
	Title   string // one line above the table in text output
	Headers []string
	Rows    [][]Cell
	// Notes are sentences below the table: lines in text output, rows of
	// one cell in CSV and XLSX (after an empty row).
	Notes []string
}

// notes returns the notes of o as a list.
func notes(o Omitted) []string {
	var out []string
	for _, n := range []string{o.Note(), o.AnalysesNote()} {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Report is a typed report that can be laid out as a sheet.
type Report interface {
	Sheet() Sheet
}

var (
	_ Report = (*PassTable)(nil)
	_ Report = (*RuleTable)(nil)
	_ Report = (*IndicatorTable)(nil)
)

// groupHeaders are the first column headers of each grouping.
var groupHeaders = map[string]string{ByDay: "日期", ByMonth: "月份", ByTeam: "班组", ByAgent: "坐席工号", ByQueue: "队列"}

func period(from, to string) string {
	if from == "" && to == "" {
		return "全部日期"
	}
	return from + " ~ " + to
}

// Sheet lays the pass-rate report out, with a total row.
func (t *PassTable) Sheet() Sheet {
	h := []string{groupHeaders[t.By]}
	if t.By == ByAgent {
		h = append(h, "坐席姓名")
	}
	h = append(h, "质检通话数", "合格数", "不合格数", "无法处理", "合格率", "平均分")
	s := Sheet{Name: "合格率", Headers: h,
		Title: fmt.Sprintf("%s（评分表 %s v%d，%s）", IndicatorName, t.Scorecard.ID, t.Scorecard.Version, period(t.From, t.To))}
	row := func(r PassRow) []Cell {
		group := r.Group
		if group == "" {
			group = "(未填)"
		}
		cells := []Cell{textCell(group)}
		if t.By == ByAgent {
			label := r.Label
			if label == r.Group {
				label = ""
			}
			cells = append(cells, textCell(label))
		}
		return append(cells, intCell(r.Inspected), intCell(r.Passed), intCell(r.Failed), intCell(r.Unprocessable),
			optCell(Percent, r.PassRate), optCell(Number, r.AvgScore))
	}
	for _, r := range t.Rows {
		s.Rows = append(s.Rows, row(r))
	}
	total := row(t.Total)
	total[0] = textCell("合计")
	s.Rows = append(s.Rows, total)
	s.Notes = notes(t.OtherScorecards)
	return s
}

// Sheet lays the rule-hit report out.
func (t *RuleTable) Sheet() Sheet {
	s := Sheet{Name: "规则命中", Headers: []string{"规则编号", "规则名称", "命中通话数", "命中次数", "质检通话数", "命中率", "扣分合计", "否决通话数"},
		Title: fmt.Sprintf("规则命中率（评分表 %s v%d，%s）", t.Scorecard.ID, t.Scorecard.Version, period(t.From, t.To)),
		Notes: notes(t.OtherScorecards)}
	for _, r := range t.Rows {
		s.Rows = append(s.Rows, []Cell{textCell(r.Rule), textCell(r.Name), intCell(r.Calls), intCell(r.Hits),
			intCell(r.Inspected), optCell(Percent, r.HitRate), numCell(r.Deduct), intCell(r.Vetoes)})
	}
	return s
}

// Write renders rep in format (FormatTable, FormatCSV, FormatJSON or
// FormatXLSX) to w.
func Write(w io.Writer, format string, rep Report) error {
	switch format {
	case FormatTable:
		return WriteTable(w, rep.Sheet())
	case FormatCSV:
		return WriteCSV(w, rep.Sheet())
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		return nil
	case FormatXLSX:
		return WriteXLSX(w, rep.Sheet())
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
}

// DisplayWidth is the number of terminal columns s takes: East Asian wide
// and fullwidth characters (Chinese) take two.
func DisplayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// WriteTable writes the sheet as an aligned text table: text left-aligned,
// numbers right-aligned, columns sized by display width.
func WriteTable(w io.Writer, s Sheet) error {
	widths := make([]int, len(s.Headers))
	for i, h := range s.Headers {
		widths[i] = DisplayWidth(h)
	}
	cells := make([][]string, len(s.Rows))
	for i, row := range s.Rows {
		cells[i] = make([]string, len(row))
		for j, c := range row {
			cells[i][j] = c.String()
			if j < len(widths) {
				widths[j] = max(widths[j], DisplayWidth(cells[i][j]))
			}
		}
	}
	var out strings.Builder
	if s.Title != "" {
		out.WriteString(s.Title + "\n")
	}
	line := func(vals []string, right func(j int) bool) {
		var sb strings.Builder
		defer func() { out.WriteString(strings.TrimRight(sb.String(), " ") + "\n") }()
		for j, v := range vals {
			if j >= len(widths) {
				break
			}
			pad := strings.Repeat(" ", widths[j]-DisplayWidth(v))
			if j > 0 {
				sb.WriteString("  ")
			}
			if right(j) {
				sb.WriteString(pad + v)
			} else if j == len(vals)-1 {
				sb.WriteString(v)
			} else {
				sb.WriteString(v + pad)
			}
		}
	}
	numeric := func(j int) bool { return len(s.Rows) > 0 && j < len(s.Rows[0]) && s.Rows[0][j].Kind != Text }
	line(s.Headers, numeric)
	rule := make([]string, len(widths))
	for j, wd := range widths {
		rule[j] = strings.Repeat("-", wd)
	}
	line(rule, func(int) bool { return false })
	for i, row := range cells {
		line(row, func(j int) bool { return s.Rows[i][j].Kind != Text })
	}
	for _, n := range s.Notes {
		out.WriteString(n + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// neutralizeFormula keeps a text cell from being run as a spreadsheet
// formula when the CSV is opened in Excel: team and agent names come from
// metadata files, and a name like "=HYPERLINK(...)" must stay a name. The
// usual defence (OWASP) is a leading apostrophe, which Excel hides.
func neutralizeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the sheet as CSV in UTF-8 with a byte-order mark, so
// that Excel shows the Chinese headers correctly.
func WriteCSV(w io.Writer, s Sheet) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Write(s.Headers)
	for _, row := range s.Rows {
		vals := make([]string, len(row))
		for j, c := range row {
			vals[j] = c.String()
			if c.Kind == Text {
				vals[j] = neutralizeFormula(vals[j])
			}
		}
		cw.Write(vals)
	}
	if len(s.Notes) > 0 {
		cw.Write([]string{})
	}
	for _, n := range s.Notes {
		cw.Write([]string{neutralizeFormula(n)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteXLSX writes the sheet as an Excel workbook: bold Chinese headers in
// a frozen first row, counts and scores as numbers, ratios as numbers in a
// percentage format, empty cells where there is no value.
func WriteXLSX(w io.Writer, s Sheet) error {
	if err := writeXLSX(w, s); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
