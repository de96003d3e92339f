package report_test

import (
	"os"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/report"
)

func ExampleWrite() {
	rate, avg := 0.75, 87.0
	tab := &report.PassTable{
		Scorecard: models.ScorecardRef{ID: "hotline-12333", Version: 1},
		By:        report.ByTeam,
		Rows: []report.PassRow{
			{Group: "养老保险组", Label: "养老保险组", Inspected: 4, Passed: 3, Failed: 1, PassRate: &rate, AvgScore: &avg},
			{Group: "医保组", Label: "医保组", Unprocessable: 1},
		},
		Total: report.PassRow{Group: "合计", Inspected: 4, Passed: 3, Failed: 1, Unprocessable: 1, PassRate: &rate, AvgScore: &avg},
	}
	report.Write(os.Stdout, report.FormatTable, tab)
	// Output:
	// 质量控制合格率（评分表 hotline-12333 v1，全部日期）
	// 班组        质检通话数  合格数  不合格数  无法处理  合格率  平均分
	// ----------  ----------  ------  --------  --------  ------  ------
	// 养老保险组           4       3         1         0   75.0%      87
	// 医保组               0       0         0         1
	// 合计                 4       3         1         1   75.0%      87
}
