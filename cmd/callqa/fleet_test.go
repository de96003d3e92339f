package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQueues(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]int
		err  bool
	}{
		{"", nil, false},
		{"critical=6,default=3,bulk=1", map[string]int{"critical": 6, "default": 3, "bulk": 1}, false},
		{"bulk", map[string]int{"bulk": 1}, false},
		{" critical=2 , bulk=1", map[string]int{"critical": 2, "bulk": 1}, false},
		{"bulk=0", nil, true},
		{"bulk=x", nil, true},
		{"=3", nil, true},
	}
	for _, tt := range tests {
		got, err := parseQueues(tt.in)
		if (err != nil) != tt.err || (!tt.err && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseQueues(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in             string
		bucket, prefix string
		err            bool
	}{
		{"s3://recordings", "recordings", "", false},
		{"s3://recordings/", "recordings", "", false},
		{"s3://recordings/calls/sh", "recordings", "calls/sh", false},
		{"s3:///calls", "", "", true},
		{"http://recordings/calls", "", "", true},
		{"recordings", "", "", true},
	}
	for _, tt := range tests {
		b, p, err := parseS3URL(tt.in)
		if (err != nil) != tt.err || b != tt.bucket || p != tt.prefix {
			t.Errorf("parseS3URL(%q) = %q, %q, %v", tt.in, b, p, err)
		}
	}
}

func FuzzFleetFlags(f *testing.F) {
	for _, s := range []string{"critical=6,default=3,bulk=1", "s3://recordings/calls", "a=1,,b", "s3://x/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if qs, err := parseQueues(s); err == nil {
			for name, w := range qs {
				if name == "" || w <= 0 || strings.Contains(name, ",") {
					t.Fatalf("parseQueues(%q) accepted %q=%d", s, name, w)
				}
			}
		}
		if b, _, err := parseS3URL(s); err == nil && b == "" {
			t.Fatalf("parseS3URL(%q) accepted an empty bucket", s)
		}
	})
}
