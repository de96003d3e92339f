package report

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// openXLSX writes s with WriteXLSX and opens the result with excelize, the
// oracle: a workbook it reads as we meant is one Excel reads too.
func openXLSX(t testing.TB, s Sheet) (*excelize.File, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, s); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(buf.Bytes())
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x, out
}

// TestXLSXWriter checks what the writer puts in a workbook, through
// excelize: values and their types, formats, styles, widths, the frozen
// header, notes; that every part is well-formed XML; and that equal sheets
// give equal bytes.
func TestXLSXWriter(t *testing.T) {
	t.Parallel()
	third, none := 1.0/3, (*float64)(nil)
	s := Sheet{Name: "合格率", Headers: []string{"班组", "质检通话数", "合格率", "平均分"},
		Rows: [][]Cell{
			{textCell("一组"), intCell(3), optCell(Percent, &third), numCell(70.25)},
			{textCell("=1+1"), intCell(0), optCell(Percent, none), optCell(Number, none)},
			{textCell("a long team name, wider than its header"), intCell(123456789), pctCell(1), numCell(-0.5)},
		},
		Notes: []string{"注：第一条", "second note"}}
	x, raw := openXLSX(t, s)
	sheet := x.GetSheetName(0)
	if sheet != "合格率" || x.SheetCount != 1 {
		t.Fatalf("sheets %v, want [合格率]", x.GetSheetList())
	}

	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"班组", "质检通话数", "合格率", "平均分"},
		{"一组", "3", "33.3%", "70.25"},
		{"=1+1", "0"},
		{"a long team name, wider than its header", "123456789", "100.0%", "-0.5"},
		{},
		{"注：第一条"},
		{"second note"},
	}
	if !equalRows(rows, want) {
		t.Errorf("rows\n%q\nwant\n%q", rows, want)
	}

	cells := []struct {
		cell, raw string
		typ       excelize.CellType
		numFmt    string
	}{
		{"A1", "班组", excelize.CellTypeInlineString, ""},
		{"A2", "一组", excelize.CellTypeInlineString, ""},
		{"B2", "3", excelize.CellTypeUnset, ""},
		{"C2", "0.3333333333333333", excelize.CellTypeUnset, "0.0%"},
		{"D2", "70.25", excelize.CellTypeUnset, "0.##"},
		{"A3", "=1+1", excelize.CellTypeInlineString, ""}, // text, not a formula
		{"C3", "", excelize.CellTypeUnset, ""},            // no pass rate: empty
		{"D4", "-0.5", excelize.CellTypeUnset, "0.##"},
	}
	for _, c := range cells {
		v, err := x.GetCellValue(sheet, c.cell, excelize.Options{RawCellValue: true})
		if err != nil || v != c.raw {
			t.Errorf("%s raw = %q, %v; want %q", c.cell, v, err, c.raw)
		}
		if typ, _ := x.GetCellType(sheet, c.cell); typ != c.typ {
			t.Errorf("%s type = %v, want %v", c.cell, typ, c.typ)
		}
		if f, _ := x.GetCellFormula(sheet, c.cell); f != "" {
			t.Errorf("%s has the formula %q", c.cell, f)
		}
		id, err := x.GetCellStyle(sheet, c.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if st.CustomNumFmt != nil {
			got = *st.CustomNumFmt
		}
		if got != c.numFmt {
			t.Errorf("%s number format %q, want %q", c.cell, got, c.numFmt)
		}
	}

	// The header: bold, filled, centred.
	id, _ := x.GetCellStyle(sheet, "D1")
	st, err := x.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Font == nil || !st.Font.Bold || st.Fill.Type != "pattern" || st.Fill.Pattern != 1 || st.Alignment == nil || st.Alignment.Horizontal != "center" {
		t.Errorf("header style %+v font %+v alignment %+v", st, st.Font, st.Alignment)
	}
	// excelize reports fill colours only from a workbook with a theme part,
	// which we do not write: the colour is checked in the XML.
	if !strings.Contains(xlsxStyles, `<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill>`) {
		t.Error("the header fill is not light blue")
	}
	if id, _ := x.GetCellStyle(sheet, "A2"); id != 0 {
		t.Errorf("A2 has style %d, want the default", id)
	}

	// Widths: the widest of header and cells, in display width, plus two.
	for col, want := range map[string]float64{"A": float64(len("a long team name, wider than its header")) + 2, "B": 10 + 2, "C": 6 + 2, "D": 6 + 2} {
		if w, err := x.GetColWidth(sheet, col); err != nil || w != want {
			t.Errorf("column %s width %v, %v; want %v", col, w, err, want)
		}
	}
	panes, err := x.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v, %v; want the header row frozen", panes, err)
	}
	if dim, err := x.GetSheetDimension(sheet); err != nil || dim != "A1:D7" {
		t.Errorf("dimension %q, %v; want A1:D7", dim, err)
	}

	// Every part is well-formed XML.
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(rc)
		for {
			if _, err := dec.Token(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Errorf("%s: %v", f.Name, err)
				break
			}
		}
		rc.Close()
	}

	// Deterministic.
	var again bytes.Buffer
	if err := WriteXLSX(&again, s); err != nil || !bytes.Equal(again.Bytes(), raw) {
		t.Errorf("a second write differs (%v)", err)
	}
}

func equalRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

// TestXLSXText checks that text cells read back as written: XML's special
// characters, surrounding spaces, line breaks, control characters, literal
// OOXML escapes, characters outside the BMP; bytes that are not UTF-8 as
// U+FFFD; text longer than Excel allows cut at its limit.
func TestXLSXText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("长", xlsxMaxCellChars-1) + "😀"
	tests := []struct{ name, in, want string }{
		{"markup", `<b>&amp;"'</b>`, `<b>&amp;"'</b>`},
		{"spaces kept", "  两边有空格 ", "  两边有空格 "},
		{"tab and line breaks", "\tone\ntwo\r\nthree\r", "\tone\ntwo\r\nthree\r"},
		{"control characters", "a\x01b\x1fc", "a\x01b\x1fc"},
		{"literal escapes", "_x0041_ _x005F_ _x0041_x0042_ _x12_", "_x0041_ _x005F_ _x0041_x0042_ _x12_"},
		{"beyond the BMP", "😀𠀀", "😀𠀀"},
		{"not UTF-8", "a\xffb", "a\uFFFDb"},
		{"non-characters", "\uFFFE\uFFFF", "\uFFFE\uFFFF"},
		{"at the limit", strings.Repeat("x", xlsxMaxCellChars), strings.Repeat("x", xlsxMaxCellChars)},
		{"cut at the limit", strings.Repeat("x", xlsxMaxCellChars+5), strings.Repeat("x", xlsxMaxCellChars)},
		{"not cut inside a surrogate pair", long, strings.Repeat("长", xlsxMaxCellChars-1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x, _ := openXLSX(t, Sheet{Headers: []string{"h"}, Rows: [][]Cell{{textCell(tc.in)}}, Notes: []string{tc.in}})
			for _, cell := range []string{"A2", "A4"} {
				got, err := x.GetCellValue("Sheet1", cell)
				if err != nil || got != tc.want {
					t.Errorf("%s = %q (%d bytes), %v; want %q (%d bytes)", cell, trim(got), len(got), err, trim(tc.want), len(tc.want))
				}
			}
		})
	}
}

func trim(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestXLSXNumbers checks number cells: integers, fractions as their
// shortest exact decimal, and what Excel cannot store as a number (NaN,
// infinities) as text, as excelize wrote them.
func TestXLSXNumbers(t *testing.T) {
	t.Parallel()
	x, _ := openXLSX(t, Sheet{Headers: []string{"a", "b", "c", "d", "e", "f"}, Rows: [][]Cell{{
		intCell(-42), numCell(0.1), numCell(1e-7), numCell(math.NaN()), pctCell(math.Inf(1)), numCell(math.Inf(-1)),
	}}})
	want := []string{"-42", "0.1", "0.0000001", "NaN", "+Inf", "-Inf"}
	for j, w := range want {
		cell := cellName(j, 2)
		if got, err := x.GetCellValue("Sheet1", cell, excelize.Options{RawCellValue: true}); err != nil || got != w {
			t.Errorf("%s = %q, %v; want %q", cell, got, err, w)
		}
	}
}

// TestXLSXSheetName checks Excel's rules for sheet names.
func TestXLSXSheetName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "考核指标", strings.Repeat("名", 31), "a'b"} {
		x, _ := openXLSX(t, Sheet{Name: name, Headers: []string{"h"}})
		want := name
		if want == "" {
			want = "Sheet1"
		}
		if got := x.GetSheetName(0); got != want {
			t.Errorf("sheet name %q, want %q", got, want)
		}
	}
	for _, name := range []string{strings.Repeat("名", 32), "'quoted'", "a/b", "a[1]", "a:b", "a?", "a*", `a\b`, "a\xff"} {
		if err := WriteXLSX(io.Discard, Sheet{Name: name}); err == nil || !strings.HasPrefix(err.Error(), "write xlsx: sheet name") {
			t.Errorf("sheet name %q: err %v", name, err)
		}
	}
}

// TestCellName checks A1-style column letters.
func TestCellName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		col, row int
		want     string
	}{{0, 1, "A1"}, {25, 2, "Z2"}, {26, 3, "AA3"}, {701, 4, "ZZ4"}, {702, 5, "AAA5"}, {16383, 1048576, "XFD1048576"}} {
		if got := cellName(tc.col, tc.row); got != tc.want {
			t.Errorf("cellName(%d, %d) = %q, want %q", tc.col, tc.row, got, tc.want)
		}
		if c, r, err := excelize.CellNameToCoordinates(tc.want); err != nil || c != tc.col+1 || r != tc.row {
			t.Errorf("excelize reads %s as %d, %d (%v)", tc.want, c, r, err)
		}
	}
}

// TestXLSXWriteError checks that a failing writer's error comes back.
func TestXLSXWriteError(t *testing.T) {
	t.Parallel()
	broken := errors.New("disk full")
	for _, after := range []int{0, 100, 1000} {
		err := WriteXLSX(&failingWriter{n: after, err: broken}, Sheet{Headers: []string{"h"}, Rows: [][]Cell{{textCell(strings.Repeat("x", 5000))}}})
		if !errors.Is(err, broken) {
			t.Errorf("failing after %d bytes: err %v", after, err)
		}
	}
}

type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

// FuzzXLSXText checks that any text reads back through excelize as
// written, up to what XML and Excel cannot hold (bytes that are not UTF-8,
// past the length limit).
func FuzzXLSXText(f *testing.F) {
	for _, s := range []string{"", "您好", "a&b<c>", " x ", "_x0041_", "_x005F_x0041_", "\x00\r\n", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1000 {
			return
		}
		var buf bytes.Buffer
		if err := WriteXLSX(&buf, Sheet{Headers: []string{"h"}, Rows: [][]Cell{{textCell(s)}}}); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		got, err := x.GetCellValue("Sheet1", "A2")
		var want strings.Builder
		for _, r := range s { // each byte that is not UTF-8 as U+FFFD
			want.WriteRune(r)
		}
		if err != nil || got != want.String() {
			t.Fatalf("%q read back as %q, %v", s, got, err)
		}
	})
}
