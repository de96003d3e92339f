package main

import (
	"time"

	"github.com/callqa/callqa/models"
)

// line is one turn of a scripted call: an utterance, or a sound on one
// side's channel that is not speech (hold music, key presses).
type line struct {
	who string // models.SpeakerAgent or models.SpeakerCustomer
	// text is the transcript text, as an ASR would write it.
	text string
	// say is what espeak-ng speaks, when it differs from text (digits read
	// one by one, the right words behind an ASR error, or an SSML
	// <break time="700ms"/> where the speaker hesitates).
	say string
	// gap is the time from the end of the previous line to the start of
	// this one, in seconds; negative to start while the other speaker is
	// still talking. Zero means the default turn gap.
	gap float64
	// sound, when set, makes the line a sound instead of an utterance:
	// models.EventHoldMusic (holdS seconds of testaudio.Melody at holdDB)
	// or models.EventDTMF (digits keyed as testaudio.SlowDTMF). A sound is
	// not in the transcript; it is an event of the truth, without digits.
	sound  string
	holdS  float64
	digits string
}

// agent builds a line of the agent.
func agent(text, say string, gap float64) line {
	return line{who: models.SpeakerAgent, text: text, say: say, gap: gap}
}

// cust builds a line of the customer.
func cust(text, say string, gap float64) line {
	return line{who: models.SpeakerCustomer, text: text, say: say, gap: gap}
}

// hold puts the customer on hold: seconds of hold music, which the
// recorder hears on the agent's channel (the agent's side plays it).
func hold(seconds, gap float64) line {
	return line{who: models.SpeakerAgent, sound: models.EventHoldMusic, holdS: seconds, gap: gap}
}

// keys is the customer keying digits on the phone's keypad, one by one.
func keys(digits string, gap float64) line {
	return line{who: models.SpeakerCustomer, sound: models.EventDTMF, digits: digits, gap: gap}
}

// callSpec is one sample call: who took it, how it is recorded, what is said
// and which rules of the default scorecard it must (and must only) trip.
type callSpec struct {
	meta     models.CallMeta
	scenario string
	format   string
	// lead is the line noise before the first utterance, tail after the
	// last, in seconds.
	lead, tail float64
	// Voices and espeak-ng speeds (-s) of both sides.
	agentVoice, custVoice string
	agentSpeed, custSpeed int
	// agentDB and custDB are the speech levels (RMS of speech frames).
	agentDB, custDB float64
	// agentHissDB is the line hiss of the agent channel (default -55).
	agentHissDB float64
	// asr marks a transcript whose keywords are ASR homophones: the
	// greeting and job number must only be found by pinyin matching.
	asr bool
	// maxDurS is the longest duration the checks accept (0: maxDur). Only
	// a call whose scenario needs the time sets it.
	maxDurS float64
	// expect lists the rule ids of the default scorecard that must fire.
	expect []string
	lines  []line
}

// Default speeds and levels. Espeak-ng cmn speaks about one Han character per
// minute per -s unit: -s 185 gives about 185 characters a minute of speech.
const (
	normalSpeed = 235
	fastSpeed   = 470
	normalDB    = -21.0
	quietDB     = -47.0
	hissDB      = -55.0
	quietHissDB = -72.0
	turnGap     = 0.6
	// holdDB is the RMS level of hold music as the recorder hears it on
	// the agent's channel, a little under the agent's speech.
	holdDB = -24.0
	// minDur and maxDur bound a sample call's duration: short enough to
	// commit (G.711 stereo is 16 KB/s), well clear of short_call (10 s).
	minDur, maxDur = 25.0, 60.0
)

// calls returns the sample calls, all taken on 2026-11-25 in Shanghai.
func calls() []callSpec {
	cst := time.FixedZone("CST", 8*3600)
	at := func(h, m, s int) *time.Time {
		t := time.Date(2026, 11, 25, h, m, s, 0, cst)
		return &t
	}
	type person struct{ id, name, team string }
	wang := person{"1086", "王敏", "养老保险组"}
	li := person{"1123", "李强", "医保就业组"}
	zhang := person{"1157", "张丽", "医保就业组"}
	chen := person{"1209", "陈刚", "劳动关系组"}
	meta := func(id string, p person, queue string, t *time.Time) models.CallMeta {
		return models.CallMeta{
			CallID: id, AgentID: p.id, AgentName: p.name, Team: p.team,
			Queue: queue, StartedAt: t, Direction: "inbound",
		}
	}
	// surveyed adds the caller's answer to the post-call survey (the IVR's
	// 满意/基本满意/不满意): most callers are satisfied, the one who found the
	// agent too fast only basically, the one who threatened to complain
	// not; the caller told 不归我们管 hung up before the survey.
	surveyed := func(m models.CallMeta, answer string) models.CallMeta {
		m.Satisfaction = answer
		return m
	}
	sat, basic, dissat := models.SatisfactionSatisfied, models.SatisfactionBasic, models.SatisfactionDissatisfied
	female, male := "cmn+f3", "cmn+m3"
	custF, custM := "cmn+f4", "cmn+m1"

	return []callSpec{
		{
			meta:     surveyed(meta("C20261125-0001", wang, "养老保险", at(9, 12, 0)), sat),
			scenario: "good call: pension payment date, passes every rule",
			format:   formatPCM16, lead: 1.0, tail: 1.5,
			agentVoice: female, custVoice: custM,
			lines: []line{
				agent("您好，上海12333，工号1086，很高兴为您服务。", "您好，上海一二三三三，工号一零八六，很高兴为您服务。", 0),
				cust("你好，我想问一下这个月的养老金什么时候发？", "", 0),
				agent("本市养老金一般在每月十号左右发放到您的社保卡金融账户。", "", 0),
				cust("那我怎么查到账了没有呢？", "", 0),
				agent("您可以在随申办上查询，也可以到银行网点打印明细。", "", 0),
				cust("好的，我明白了，谢谢你。", "", 0),
				agent("不客气，感谢您的来电，祝您生活愉快，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0002", li, "就业失业", at(9, 47, 30)), sat),
			scenario: "missing greeting: the agent opens without 您好",
			format:   formatMuLaw, lead: 0.8, tail: 1.4,
			agentVoice: male, custVoice: custF,
			expect: []string{"greeting"},
			lines: []line{
				agent("上海12333，工号1123，请讲。", "上海一二三三三，工号一一二三，请讲。", 0),
				cust("喂，我上个月被公司辞退了，想申请失业金。", "", 0),
				agent("单位给您办理退工登记了吗？", "", 0),
				cust("已经办好了，退工单也拿到了。", "", 0),
				agent("那您可以在随申办上直接申请失业保险金，也可以去社区事务受理服务中心办理。", "", 0),
				cust("大概多久能领到钱？", "", 0),
				agent("审核通过以后，次月发放到您的社保卡上。感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     meta("C20261125-0003", chen, "劳动关系", at(10, 20, 15)),
			scenario: "taboo phrases: 不归我们管 and 不知道 (veto)",
			format:   formatMuLaw, lead: 1.2, tail: 1.6,
			agentVoice: male, custVoice: custF,
			expect: []string{"taboo"},
			lines: []line{
				agent("您好，上海12333，工号1209，请问有什么可以帮您？", "您好，上海一二三三三，工号一二零九，请问有什么可以帮您？", 0),
				cust("你好，我们公司已经拖欠了三个月工资，我该怎么办？", "", 0),
				agent("这个不归我们管，你去找劳动监察吧。", "", 0),
				cust("那劳动监察在哪里？要带什么材料？", "", 0),
				agent("具体要带什么我不知道，你到区里去问吧。", "", 0),
				cust("好吧。", "", 0),
				agent("感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0004", wang, "养老保险", at(10, 55, 40)), sat),
			scenario: "dead air: 12 s of silence while the agent checks the system",
			format:   formatMuLaw, lead: 0.9, tail: 1.5,
			agentVoice: female, custVoice: custM,
			expect: []string{"dead_air"},
			lines: []line{
				agent("您好，上海12333，工号1086，请问有什么可以帮您？", "您好，上海一二三三三，工号一零八六，请问有什么可以帮您？", 0),
				cust("你好，我上个月提交了退休申请，想问一下办到哪一步了。", "", 0),
				agent("好的，请您报一下姓名和身份证后四位。", "", 0),
				cust("我叫刘建国，身份证后四位是2817。", "我叫刘建国，身份证后四位是二八一七。", 0),
				agent("好的，我帮您在系统里查一下，请稍等。", "", 0),
				agent("让您久等了，您的退休申请已经审核通过，下个月开始发放养老金。", "", 12.0),
				cust("太好了，谢谢。", "", 0),
				agent("不客气，感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0005", zhang, "医疗保险", at(13, 30, 5)), sat),
			scenario: "agent interruption: the agent talks over the customer for about 2 s",
			format:   formatALaw, lead: 1.0, tail: 1.5,
			agentVoice: female, custVoice: custM,
			expect: []string{"agent_interrupts"},
			lines: []line{
				agent("您好，上海12333，工号1157，请问有什么可以帮您？", "您好，上海一二三三三，工号一一五七，请问有什么可以帮您？", 0),
				cust("你好，我上个月在外地旅游的时候生病住院了，花了一万多块钱，回来以后想问问这个钱怎么报销，要准备哪些材料", "", 0),
				agent("您先听我说，异地住院要先备案，您备案了吗？", "", -2.2),
				cust("没有备案，那还能报吗？", "", 0),
				agent("可以的，您带上发票和出院小结，到就近的医保中心办理零星报销。", "", 0),
				cust("好的，谢谢。", "", 0),
				agent("感谢您的来电，祝您生活愉快。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0006", li, "医疗保险", at(14, 5, 20)), basic),
			scenario: "fast speech: the agent rattles off the social security card replacement steps",
			format:   formatMuLaw, lead: 1.0, tail: 1.5,
			agentVoice: male, custVoice: custF, agentSpeed: fastSpeed,
			expect: []string{"fast_speech"},
			lines: []line{
				agent("您好，上海12333，工号1123，请问有什么可以帮您？", "您好，上海一二三三三，工号一一二三，请问有什么可以帮您？", 0),
				cust("你好，我的社保卡丢了，想补办一张。", "", 0),
				agent("您先打电话挂失，然后带上身份证到任意一家社保卡服务网点申请补卡，也可以在随申办上在线申请，新卡大概十五个工作日制作完成，会邮寄到您填写的地址。", "", 0),
				cust("啊？你说慢一点，要带什么？", "", 0),
				agent("带身份证就可以了，补卡要交二十元工本费，在网点现场缴费。", "", 0),
				cust("好的，那我明天去网点办。", "", 0),
				agent("好的，感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0007", zhang, "医疗保险", at(14, 40, 50)), sat),
			scenario: "ASR homophones: 您号/公号/身份正 in the transcript, correct words in the audio",
			format:   formatMuLaw, lead: 1.1, tail: 1.5,
			agentVoice: female, custVoice: custF, asr: true,
			lines: []line{
				agent("您号，上海12333，公号1157，请问有什么可以帮您？", "您好，上海一二三三三，工号一一五七，请问有什么可以帮您？", 0),
				cust("你好，我想查一下一保账户里还有多少钱。", "你好，我想查一下医保账户里还有多少钱。", 0),
				agent("请您提供一下身份正号码的后四位。", "请您提供一下身份证号码的后四位。", 0),
				cust("后四位是0536。", "后四位是零五三六。", 0),
				agent("您的医保个人帐户余额是两千三百元，可以用于门诊和药店购药。", "您的医保个人账户余额是两千三百元，可以用于门诊和药店购药。", 0),
				cust("好的，谢谢。", "", 0),
				agent("感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0008", wang, "养老保险", at(15, 15, 10)), dissat),
			scenario: "complaint risk: the customer threatens to complain and call 12345; the agent stays polite",
			format:   formatMuLaw, lead: 0.9, tail: 1.5,
			agentVoice: female, custVoice: custM,
			expect: []string{"complaint_risk"},
			lines: []line{
				agent("您好，上海12333，工号1086，请问有什么可以帮您？", "您好，上海一二三三三，工号一零八六，请问有什么可以帮您？", 0),
				cust("我的养老保险关系从外地转过来，都三个月了还没办好。", "", 0),
				agent("非常抱歉，请问您是在哪个区申请的转移？", "", 0),
				cust("浦东新区。我已经打了三次电话了，再不解决我就要投诉，还要打12345。", "浦东新区。<break time=\"800ms\"/>我已经打了三次电话了，再不解决我就要投诉，还要打一二三四五。", 0),
				agent("理解您的心情，我马上帮您登记催办，三个工作日内会有专人给您回电。", "", 0),
				cust("那我等你们电话。", "", 0),
				agent("感谢您的耐心，感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0009", chen, "劳动关系", at(16, 0, 0)), sat),
			scenario: "good call in A-law: severance pay on termination",
			format:   formatALaw, lead: 1.0, tail: 1.6,
			agentVoice: male, custVoice: custF,
			lines: []line{
				agent("您好，上海12333，工号1209，请问有什么可以帮您？", "您好，上海一二三三三，工号一二零九，请问有什么可以帮您？", 0),
				cust("你好，公司要跟我解除劳动合同，我能拿到补偿吗？", "", 0),
				agent("如果是公司提出解除，一般按工作年限每满一年支付一个月工资的经济补偿。", "如果是公司提出解除，<break time=\"700ms\"/>一般按工作年限每满一年支付一个月工资的经济补偿。", 0),
				cust("我工作了五年，那就是五个月工资？", "", 0),
				agent("是的，如果协商不成，您可以向劳动人事争议仲裁委员会申请仲裁。", "", 0),
				cust("明白了，谢谢。", "", 0),
				agent("不客气，感谢您的来电，祝您生活愉快。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0010", zhang, "医疗保险", at(16, 35, 25)), sat),
			scenario: "quiet agent headset: agent level far below -40 dBFS",
			format:   formatPCM16, lead: 1.0, tail: 1.5,
			agentVoice: female, custVoice: custM, agentDB: quietDB, agentHissDB: quietHissDB,
			expect: []string{"agent_level"},
			lines: []line{
				agent("您好，上海12333，工号1157，请问有什么可以帮您？", "您好，上海一二三三三，工号一一五七，请问有什么可以帮您？", 0),
				cust("喂？你好，你的声音有点小。我想问一下门诊的自付段是多少。", "", 0),
				agent("在职职工是一千五百元。", "", 0),
				cust("超过的部分怎么报？", "", 0),
				agent("超过的部分按比例报销。", "", 0),
				cust("那退休的人呢？", "", 0),
				agent("退休人员的自付段低一些。", "", 0),
				cust("好的，明白了，谢谢。", "", 0),
				agent("感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0011", li, "就业失业", at(16, 52, 40)), sat),
			scenario: "long hold: announced, but the caller waits over 60 s without a check back",
			format:   formatMuLaw, lead: 0.8, tail: 1.4,
			agentVoice: male, custVoice: custM,
			// The hold alone must pass the rule's 60 s by a margin, so the
			// call cannot keep to maxDur; 100 s is still 1.6 MB in mu-law.
			maxDurS: 100,
			expect:  []string{"hold"},
			lines: []line{
				agent("您好，上海12333，工号1123，请问有什么可以帮您？", "您好，上海一二三三三，工号一一二三，请问有什么可以帮您？", 0),
				cust("你好，我上个月申请了失业金，到现在还没到账。", "", 0),
				agent("好的，请您稍等，我帮您查一下。", "", 0),
				hold(65.5, 0.8),
				agent("让您久等了，您的申请已经通过，月底发到您的社保卡上。", "", 0.7),
				cust("好的，谢谢。", "", 0),
				agent("不客气，感谢您的来电，再见。", "", 0),
			},
		},
		{
			meta:     surveyed(meta("C20261125-0012", wang, "养老保险", at(17, 10, 5)), sat),
			scenario: "key presses: the caller keys the last six digits of the ID card and #",
			format:   formatMuLaw, lead: 0.9, tail: 1.5,
			agentVoice: female, custVoice: custF,
			lines: []line{
				agent("您好，上海12333，工号1086，请问有什么可以帮您？", "您好，上海一二三三三，工号一零八六，请问有什么可以帮您？", 0),
				cust("你好，我想查一下我的养老保险一共交了多少年。", "", 0),
				agent("请您在电话按键上输入您的身份证后六位，以井号键结束。", "", 0),
				keys("208315#", 0.9),
				agent("好的，查到了，您累计缴费十八年零五个月，已经满十五年了。", "", 0.8),
				cust("明白了，谢谢你。", "", 0),
				agent("不客气，感谢您的来电，祝您生活愉快，再见。", "", 0),
			},
		},
	}
}
