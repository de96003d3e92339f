package report

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// A small streaming XLSX (Office Open XML spreadsheet) writer: one
// worksheet, strings inline, numbers as numbers with a style, column widths,
// a frozen header row. It replaced github.com/xuri/excelize, whose package
// initialisation took 4-11 ms at every start of callqa for the one thing
// callqa asks of it; excelize stays in the tests, which open what this
// writes.
//
// The parts are written straight to the zip stream, the worksheet row by
// row: nothing but the column widths is computed before writing. Output is
// deterministic (fixed entry times), so equal sheets give equal bytes.

// Excel's limits and the sheet's styles (indexes into cellXfs in
// xlsxStyles).
const (
	xlsxMaxCellChars  = 32767 // UTF-16 code units in a cell
	xlsxMaxSheetName  = 31    // UTF-16 code units in a sheet name
	xlsxStyleHeader   = 1     // bold, light blue fill, centred
	xlsxStylePercent  = 2     // 0.0%
	xlsxStyleNumber   = 3     // 0.##
	xlsxDefaultSheet  = "Sheet1"
	xlsxWorksheetPath = "xl/worksheets/sheet1.xml"
)

// xmlHeader begins every XML part.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// xlsxTime is the modification time of every zip entry (the earliest a zip
// can record), so that the output does not depend on the clock.
var xlsxTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// writeXLSX writes s as a one-sheet workbook; see WriteXLSX.
func writeXLSX(w io.Writer, s Sheet) error {
	name := s.Name
	if name == "" {
		name = xlsxDefaultSheet
	}
	if err := checkSheetName(name); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	parts := []struct{ path, body string }{
		{"[Content_Types].xml", xlsxContentTypes},
		{"_rels/.rels", xlsxRootRels},
		{"xl/workbook.xml", xlsxWorkbookHead + `<sheet name="` + escapeXMLAttr(name) + `" sheetId="1" r:id="rId1"/>` + xlsxWorkbookTail},
		{"xl/_rels/workbook.xml.rels", xlsxWorkbookRels},
		{"xl/styles.xml", xlsxStyles},
	}
	for _, p := range parts {
		pw, err := createXLSXPart(zw, p.path)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return err
		}
	}
	pw, err := createXLSXPart(zw, xlsxWorksheetPath)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(pw)
	writeWorksheet(bw, s)
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

func createXLSXPart(zw *zip.Writer, path string) (io.Writer, error) {
	return zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: xlsxTime})
}

// checkSheetName applies Excel's rules for a sheet name.
func checkSheetName(name string) error {
	switch {
	case utf16Len(name) > xlsxMaxSheetName:
		return fmt.Errorf("sheet name %q: longer than %d characters", name, xlsxMaxSheetName)
	case strings.HasPrefix(name, "'") || strings.HasSuffix(name, "'"):
		return fmt.Errorf("sheet name %q: begins or ends with an apostrophe", name)
	case strings.ContainsAny(name, `:\/?*[]`):
		return fmt.Errorf("sheet name %q: contains one of : \\ / ? * [ ]", name)
	case !utf8.ValidString(name):
		return errors.New("sheet name: not UTF-8")
	}
	return nil
}

// writeWorksheet writes the worksheet part: the header row (styled, frozen),
// the rows, an empty row and one row per note; columns as wide as their
// widest header or cell (in display width, Chinese counting two) plus two.
// Errors are left to bw's Flush.
func writeWorksheet(bw *bufio.Writer, s Sheet) {
	widths := make([]int, len(s.Headers))
	for j, h := range s.Headers {
		widths[j] = DisplayWidth(h)
	}
	lastCol := len(s.Headers)
	for _, row := range s.Rows {
		for j, c := range row {
			if j < len(widths) {
				widths[j] = max(widths[j], DisplayWidth(c.String()))
			}
		}
		lastCol = max(lastCol, len(row))
	}
	lastRow := len(s.Rows) + 1
	if len(s.Notes) > 0 {
		lastRow = len(s.Rows) + 2 + len(s.Notes)
	}

	bw.WriteString(xmlHeader)
	bw.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	ref := "A1"
	if lastCol > 0 {
		ref = "A1:" + cellName(lastCol-1, lastRow)
	}
	bw.WriteString(`<dimension ref="` + ref + `"/>`)
	bw.WriteString(`<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>`)
	bw.WriteString(`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(widths) > 0 {
		bw.WriteString(`<cols>`)
		for j, wd := range widths {
			n := strconv.Itoa(j + 1)
			fmt.Fprintf(bw, `<col min="%s" max="%s" width="%d" customWidth="1"/>`, n, n, wd+2)
		}
		bw.WriteString(`</cols>`)
	}
	bw.WriteString(`<sheetData>`)
	if len(s.Headers) > 0 {
		bw.WriteString(`<row r="1">`)
		for j, h := range s.Headers {
			writeStringCell(bw, j, 1, xlsxStyleHeader, h)
		}
		bw.WriteString(`</row>`)
	}
	for i, row := range s.Rows {
		r := i + 2
		fmt.Fprintf(bw, `<row r="%d">`, r)
		for j, c := range row {
			if c.Empty {
				continue
			}
			switch c.Kind {
			case Text:
				writeStringCell(bw, j, r, 0, c.Text)
			case Integer:
				writeNumberCell(bw, j, r, 0, strconv.FormatInt(int64(c.Num), 10))
			case Percent:
				writeFloatCell(bw, j, r, xlsxStylePercent, c.Num)
			default:
				writeFloatCell(bw, j, r, xlsxStyleNumber, c.Num)
			}
		}
		bw.WriteString(`</row>`)
	}
	for i, n := range s.Notes {
		r := len(s.Rows) + 3 + i // after an empty row
		fmt.Fprintf(bw, `<row r="%d">`, r)
		writeStringCell(bw, 0, r, 0, n)
		bw.WriteString(`</row>`)
	}
	bw.WriteString(`</sheetData></worksheet>`)
}

// writeCellStart writes a cell's opening tag up to its closing '>'.
func writeCellStart(bw *bufio.Writer, col, row, style int, typ string) {
	bw.WriteString(`<c r="` + cellName(col, row) + `"`)
	if style != 0 {
		bw.WriteString(` s="` + strconv.Itoa(style) + `"`)
	}
	if typ != "" {
		bw.WriteString(` t="` + typ + `"`)
	}
	bw.WriteByte('>')
}

func writeNumberCell(bw *bufio.Writer, col, row, style int, v string) {
	writeCellStart(bw, col, row, style, "")
	bw.WriteString(`<v>` + v + `</v></c>`)
}

// writeFloatCell writes x as a number, or as text where it is not a number
// Excel can store (NaN, infinities), as excelize did.
func writeFloatCell(bw *bufio.Writer, col, row, style int, x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		writeStringCell(bw, col, row, style, fmt.Sprint(x))
		return
	}
	writeNumberCell(bw, col, row, style, strconv.FormatFloat(x, 'f', -1, 64))
}

// writeStringCell writes an inline string cell, cut to Excel's limit.
func writeStringCell(bw *bufio.Writer, col, row, style int, s string) {
	s = truncateUTF16(s, xlsxMaxCellChars)
	writeCellStart(bw, col, row, style, "inlineStr")
	bw.WriteString(`<is><t`)
	if s != "" && (strings.IndexByte(" \t\n\r", s[0]) >= 0 || strings.IndexByte(" \t\n\r", s[len(s)-1]) >= 0) {
		bw.WriteString(` xml:space="preserve"`)
	}
	bw.WriteByte('>')
	escapeXText(bw, s)
	bw.WriteString(`</t></is></c>`)
}

// escapeXText writes s as the text of an OOXML string element: XML's
// escapes for & < > and carriage returns (which XML parsers would turn into
// line feeds), _xHHHH_ for characters XML 1.0 cannot hold (control
// characters, U+FFFE, U+FFFF), _x005F_ before a literal _xHHHH_ so that it
// reads back as written. Bytes that are not UTF-8 become U+FFFD (ranging
// over the string yields utf8.RuneError for them).
func escapeXText(bw *bufio.Writer, s string) {
	for i, r := range s {
		switch {
		case r == '&':
			bw.WriteString("&amp;")
		case r == '<':
			bw.WriteString("&lt;")
		case r == '>':
			bw.WriteString("&gt;")
		case r == '\r':
			bw.WriteString("&#xD;")
		case r == '_' && isXEscape(s[i:]):
			bw.WriteString("_x005F_")
		case r < 0x20 && r != '\t' && r != '\n', r == 0xFFFE, r == 0xFFFF:
			fmt.Fprintf(bw, "_x%04X_", r)
		default:
			bw.WriteRune(r)
		}
	}
}

// isXEscape reports whether s begins with _xHHHH_, OOXML's escape of a
// character.
func isXEscape(s string) bool {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// escapeXMLAttr escapes s for a double-quoted XML attribute value.
func escapeXMLAttr(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// cellName returns the A1-style name of the cell in the 0-based column col
// and the 1-based row.
func cellName(col, row int) string {
	var b [8]byte
	i := len(b)
	for col++; col > 0; col = (col - 1) / 26 {
		i--
		b[i] = byte('A' + (col-1)%26)
	}
	return string(b[i:]) + strconv.Itoa(row)
}

// utf16Len is the length of s in UTF-16 code units, Excel's unit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncateUTF16 cuts s to at most n UTF-16 code units, between characters.
func truncateUTF16(s string, n int) string {
	if len(s) <= n {
		return s // at least as many UTF-16 units as bytes: fits
	}
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

const xlsxContentTypes = xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
	`<Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
	`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
	`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
	`</Types>`

const xlsxRootRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
	`</Relationships>`

const xlsxWorkbookHead = xmlHeader + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
	`<bookViews><workbookView/></bookViews><sheets>`

const xlsxWorkbookTail = `</sheets></workbook>`

const xlsxWorkbookRels = xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
	`</Relationships>`

// xlsxStyles: cellXfs 0 is the default, then xlsxStyleHeader,
// xlsxStylePercent and xlsxStyleNumber. Fills 0 and 1 are the two Excel
// requires (none, gray125).
const xlsxStyles = xmlHeader + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.##"/></numFmts>` +
	`<fonts count="2">` +
	`<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`</fonts>` +
	`<fills count="3">` +
	`<fill><patternFill patternType="none"/></fill>` +
	`<fill><patternFill patternType="gray125"/></fill>` +
	`<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill>` +
	`</fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="4">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment horizontal="center"/></xf>` +
	`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`</cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`
