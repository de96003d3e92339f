package pii

import (
	"regexp"
	"strings"
)

func isAlnum(r rune) bool {
	return isDigit(r) || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// classify says which kind of number digits is, if any.
func classify(digits string) (Kind, bool) {
	switch {
	case idCard18(digits) || idCard15(digits):
		return IDCard, true
	case strings.ContainsRune(digits, 'X'):
		return "", false
	case len(digits) >= 16 && len(digits) <= 19 && luhn(digits):
		return BankCard, true
	case len(digits) == 11 && digits[0] == '1' && digits[1] >= '3':
		return Mobile, true
	case landline(digits):
		return Landline, true
	}
	return "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	return true
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// plausibleDate checks a month and day of a birth date.
func plausibleDate(mm, dd string) bool {
	m, d := num(mm), num(dd)
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// idCard18 checks an 18-character resident ID number.
func idCard18(s string) bool {
	if len(s) != 18 || !allDigits(s[:17]) || s[0] < '1' || s[0] > '8' {
		return false
	}
	if y := num(s[6:10]); y < 1900 || y > 2099 || !plausibleDate(s[10:12], s[12:14]) {
		return false
	}
	return s[17] == 'X' || s[17] >= '0' && s[17] <= '9'
}

// idCard15 checks an old 15-digit resident ID number.
func idCard15(s string) bool {
	return len(s) == 15 && allDigits(s) && s[0] >= '1' && s[0] <= '8' && plausibleDate(s[8:10], s[10:12])
}

func luhn(s string) bool {
	if !allDigits(s) {
		return false
	}
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		n := int(s[i] - '0')
		if (len(s)-1-i)%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

var landlineRE = regexp.MustCompile(`^0(?:(?:10|2\d)\d{8}|[3-9]\d{2}\d{7,8})$`)

func landline(s string) bool { return landlineRE.MatchString(s) }

// emails finds e-mail addresses in the folded text.
func (d *doc) emails() {
	f := d.fold
	for at := 0; at < len(f); at++ {
		if f[at] != '@' {
			continue
		}
		start := at
		for start > 0 && at-start < 64 && !d.taken[start-1] && localChar(f[start-1]) {
			start--
		}
		for start < at && f[start] == '.' {
			start++
		}
		if start == at || f[at-1] == '.' {
			continue
		}
		end := at + 1
		for end < len(f) && end-at <= 255 && domainChar(f[end]) {
			end++
		}
		for ; end > at+1; end-- {
			if domainRE.MatchString(string(f[at+1 : end])) {
				break
			}
		}
		if end <= at+1 {
			continue
		}
		d.add(Email, start, end)
		at = end - 1
	}
}

var domainRE = regexp.MustCompile(`^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$`)

func localChar(r rune) bool {
	return isAlnum(r) || strings.ContainsRune("._%+-", r)
}

func domainChar(r rune) bool {
	return isAlnum(r) || r == '.' || r == '-'
}
