package rules

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"您好，上海12333，工号1086。", "您好上海12333工号1086"},
		{"一二三三三", "12333"},
		{"幺二三三三", "12333"},
		{"零〇一二三四五六七八九", "00123456789"},
		{"十", "十"}, // not a digit when read: 十 is ten, not a place value we rewrite
		{"１２３３３　ＡＢＣｘｙｚ", "12333abcxyz"},
		{"Hello, World! (APP) $5 + 3 = ~8", "helloworldapp538"},
		{"“投诉”《媒体》【记者】、……——！？；：", "投诉媒体记者"},
		{"a\tb\nc\u200bd", "abcd"},
		{"Ünïcödé", "ünïcödé"},
		{"bad\xffbyte", "badbyte"},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormalizeQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ text, find, want string }{
		{"您好，上海 一二三三三！工号", "12333", "一二三三三"},
		{"打１２ ３-45！", "12345", "１２ ３-45"},
		{"这不归我们，管。", "不归我们管", "不归我们，管"},
		{"ＡＰＰ", "app", "ＡＰＰ"},
		{"x\xffy", "xy", "x\xffy"},
	}
	for _, tc := range tests {
		nt := normalize(tc.text)
		k := strings.Index(nt.norm, tc.find)
		if k < 0 {
			t.Errorf("%q not found in %q", tc.find, nt.norm)
			continue
		}
		if got := nt.quote(k, k+len(tc.find)); got != tc.want {
			t.Errorf("quote of %q in %q = %q, want %q", tc.find, tc.text, got, tc.want)
		}
	}
	nt := normalize("abc")
	if got := nt.quote(2, 2); got != "" {
		t.Errorf("empty range quoted %q", got)
	}
}

func TestFoldAccent(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"shi", "si"}, {"zheng", "zen"}, {"chu", "cu"}, {"nong", "long"}, {"ni", "li"},
		{"ming", "min"}, {"feng", "fen"}, {"ying", "yin"}, {"sheng", "sen"},
		{"si", "si"}, {"hao", "hao"}, {"ng", "ng"}, {"zong", "zong"},
	}
	for _, tc := range tests {
		if got := foldAccent(tc.in); got != tc.want {
			t.Errorf("foldAccent(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSpeller(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accent bool
		in     string
		want   string
	}{
		{false, Normalize("工号1086"), "gong hao yi ling ba liu"},
		{false, Normalize("身份证"), "shen fen zheng"},
		{true, Normalize("身份证"), "sen fen zen"},
		{false, Normalize("您好ab"), "nin hao a b"},
		{false, "\u5159", "\u5159"}, // 兙: a Han character without a reading is its own token
	}
	for _, tc := range tests {
		got := strings.Join(newSpeller(tc.accent).spell(tc.in).tok, " ")
		if got != tc.want {
			t.Errorf("spell(%q, accent %v) = %q, want %q", tc.in, tc.accent, got, tc.want)
		}
	}
}
