package pii_test

import (
	"fmt"

	"github.com/callqa/callqa/pipeline/pii"
)

func ExampleMask() {
	text := "我手机是幺三九，幺二三四，五六七零，身份证310115198003074515，打过12333。"
	masked, m := pii.Mask(text)
	fmt.Println(masked)
	for _, s := range m.Spans() {
		fmt.Println(s.Kind, s.Start, s.End)
	}
	// "12333" is characters 42-47 of the text; where is it now?
	fmt.Println(m.Range(42, 47))
	// Output:
	// 我手机是[手机号]，身份证[身份证号]，打过12333。
	// mobile 4 17
	// id_card 21 39
	// 22 27
}
