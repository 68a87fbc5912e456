package dingtalkfake

import (
	"encoding/json"
	"sort"
	"strings"
)

// msgParam decodes a robot message's msgParam (a JSON string) for its key.
// A markdown text's paragraphs come back as lines.
func msgParam(body map[string]any) (Message, bool) {
	var p map[string]string
	if json.Unmarshal([]byte(str(body, "msgParam")), &p) != nil {
		return Message{}, false
	}
	key := str(body, "msgKey")
	switch {
	case key == "sampleText" && p["content"] != "":
		return Message{MsgKey: key, Text: p["content"]}, true
	case key == "sampleMarkdown" && p["title"] != "" && p["text"] != "":
		return Message{MsgKey: key, Title: p["title"], Text: strings.ReplaceAll(p["text"], "\n\n", "\n")}, true
	}
	return Message{}, false
}

func (s *Server) groupSend(body map[string]any) (int, any) {
	cid := str(body, "openConversationId")
	g := s.groups[cid]
	switch {
	case str(body, "robotCode") != s.RobotCode:
		return 400, apiErr("invalidParameter.robotCode", "robot not found")
	case g == nil:
		return 400, apiErr("resource.not.found", "群不存在")
	}
	m, ok := msgParam(body)
	if !ok {
		return 400, apiErr("invalidParameter.msgParam", "bad msgKey or msgParam")
	}
	m.ID = s.id("pqk")
	s.msgs[cid] = append(s.msgs[cid], m)
	return 200, map[string]any{"processQueryKey": m.ID}
}

func (s *Server) batchSend(body map[string]any) (int, any) {
	if str(body, "robotCode") != s.RobotCode {
		return 400, apiErr("invalidParameter.robotCode", "robot not found")
	}
	m, ok := msgParam(body)
	if !ok {
		return 400, apiErr("invalidParameter.msgParam", "bad msgKey or msgParam")
	}
	ids, _ := body["userIds"].([]any)
	key := s.id("pqk")
	invalid := []string{}
	for _, v := range ids {
		u, _ := v.(string)
		if u == "" || u == "nobody" {
			invalid = append(invalid, u)
			continue
		}
		m.ID = key
		s.dms[u] = append(s.dms[u], m)
	}
	return 200, map[string]any{"processQueryKey": key, "invalidStaffIdList": invalid, "flowControlledStaffIdList": []string{}}
}

func (s *Server) createAndDeliver(body map[string]any) (int, any) {
	space := str(body, "openSpaceId")
	const prefix = "dtv1.card//IM_GROUP."
	if len(space) <= len(prefix) || space[:len(prefix)] != prefix {
		return 400, apiErr("invalidParameter.openSpaceId", "openSpaceId "+space)
	}
	cid := space[len(prefix):]
	deliver, _ := body["imGroupOpenDeliverModel"].(map[string]any)
	data, _ := body["cardData"].(map[string]any)
	params, _ := data["cardParamMap"].(map[string]any)
	switch {
	case str(body, "cardTemplateId") != s.CardTemplate:
		return 400, apiErr("invalidParameter.cardTemplateId", "template not found")
	case str(body, "outTrackId") == "" || str(body, "callbackType") != "STREAM":
		return 400, apiErr("invalidParameter", "outTrackId and callbackType STREAM are required")
	case deliver == nil || str(deliver, "robotCode") != s.RobotCode:
		return 400, apiErr("invalidParameter.robotCode", "robot not found")
	case s.groups[cid] == nil:
		return 200, map[string]any{"success": true, "result": map[string]any{"outTrackId": str(body, "outTrackId"),
			"deliverResults": []any{map[string]any{"spaceType": "IM_GROUP", "spaceId": cid, "success": false, "errorMsg": "群不存在"}}}}
	}
	for k, v := range params {
		if _, ok := v.(string); !ok {
			return 400, apiErr("invalidParameter.cardParamMap", "cardParamMap values are strings: "+k)
		}
	}
	m := Message{ID: str(body, "outTrackId"), Card: true, Title: str(params, "title"), Text: str(params, "content"), Kind: str(params, "kind")}
	_ = json.Unmarshal([]byte(str(params, "buttons")), &m.Buttons)
	at, _ := deliver["atUserIds"].(map[string]any)
	for u := range at {
		m.AtUserIDs = append(m.AtUserIDs, u)
	}
	sort.Strings(m.AtUserIDs)
	s.msgs[cid] = append(s.msgs[cid], m)
	return 200, map[string]any{"success": true, "result": map[string]any{"outTrackId": m.ID,
		"deliverResults": []any{map[string]any{"spaceType": "IM_GROUP", "spaceId": cid, "success": true, "carrierId": s.id("carrier")}}}}
}
