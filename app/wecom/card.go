package wecom

import "fmt"

// TextNotice is a template_card of card_type text_notice: a title, an
// optional emphasised figure and key/value lines, and a click action.
type TextNotice struct {
	Source                *CardSource         `json:"source,omitempty"`
	MainTitle             *CardTitle          `json:"main_title,omitempty"`
	EmphasisContent       *CardTitle          `json:"emphasis_content,omitempty"`
	QuoteArea             *CardQuote          `json:"quote_area,omitempty"`
	SubTitleText          string              `json:"sub_title_text,omitempty"`
	HorizontalContentList []HorizontalContent `json:"horizontal_content_list,omitempty"`
	JumpList              []CardJump          `json:"jump_list,omitempty"`
	CardAction            CardAction          `json:"card_action"`
}

// CardSource is the card's source line; DescColor is 0 grey, 1 black,
// 2 red, 3 green.
type CardSource struct {
	IconURL   string `json:"icon_url,omitempty"`
	Desc      string `json:"desc,omitempty"`
	DescColor int    `json:"desc_color,omitempty"`
}

// CardTitle is a title with a description (main_title, emphasis_content).
type CardTitle struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardQuote is the quoted area; Type 1 opens URL, 2 a mini program.
type CardQuote struct {
	Type      int    `json:"type,omitempty"`
	URL       string `json:"url,omitempty"`
	AppID     string `json:"appid,omitempty"`
	PagePath  string `json:"pagepath,omitempty"`
	Title     string `json:"title,omitempty"`
	QuoteText string `json:"quote_text,omitempty"`
}

// HorizontalContent is one key/value line; Type 1 links URL, 2 a file
// by MediaID, 3 a member by UserID.
type HorizontalContent struct {
	Type    int    `json:"type,omitempty"`
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
	URL     string `json:"url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
	UserID  string `json:"userid,omitempty"`
}

// CardJump is one link under the card; Type 1 opens URL, 2 a mini program.
type CardJump struct {
	Type     int    `json:"type,omitempty"`
	URL      string `json:"url,omitempty"`
	Title    string `json:"title"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardAction is what a click on the card does: Type 1 opens URL, 2 a mini
// program (AppID, PagePath).
type CardAction struct {
	Type     int    `json:"type"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// MsgType implements Message.
func (TextNotice) MsgType() string { return "template_card" }

type textNoticeBody struct {
	CardType string `json:"card_type"`
	TextNotice
}

func (m TextNotice) body() (any, error) {
	if (m.MainTitle == nil || m.MainTitle.Title == "") && m.SubTitleText == "" {
		return nil, fmt.Errorf("%w: text_notice needs main_title.title or sub_title_text", ErrInvalidMessage)
	}
	switch a := m.CardAction; {
	case a.Type == 1 && a.URL != "", a.Type == 2 && a.AppID != "":
	default:
		return nil, fmt.Errorf("%w: text_notice card_action needs type 1 with url or type 2 with appid", ErrInvalidMessage)
	}
	return textNoticeBody{CardType: "text_notice", TextNotice: m}, nil
}
