package wechat

// Reply types a unit may answer with.
const (
	ReplyText     = "text"
	ReplyImage    = "image"
	ReplyVoice    = "voice"
	ReplyVideo    = "video"
	ReplyMusic    = "music"
	ReplyNews     = "news"
	ReplyTransfer = "transfer_customer_service"
)

// Reply is a unit's answer to a message. Type says which fields count:
// text Content; image and voice MediaID; video MediaID, Title and
// Description; music Title, Description, MusicURL, HQMusicURL and
// ThumbMediaID; news one article of Title, Description, PicURL and URL;
// transfer_customer_service optionally KfAccount.
type Reply struct {
	Type         string
	Content      string
	MediaID      string
	Title        string
	Description  string
	MusicURL     string
	HQMusicURL   string
	ThumbMediaID string
	PicURL       string
	URL          string
	KfAccount    string
}

// Text returns a text reply.
func Text(content string) *Reply { return &Reply{Type: ReplyText, Content: content} }

// Image returns an image reply of an uploaded media id.
func Image(mediaID string) *Reply { return &Reply{Type: ReplyImage, MediaID: mediaID} }

// Voice returns a voice reply of an uploaded media id.
func Voice(mediaID string) *Reply { return &Reply{Type: ReplyVoice, MediaID: mediaID} }

// Video returns a video reply.
func Video(mediaID, title, description string) *Reply {
	return &Reply{Type: ReplyVideo, MediaID: mediaID, Title: title, Description: description}
}

// Music returns a music reply.
func Music(title, description, musicURL, hqMusicURL, thumbMediaID string) *Reply {
	return &Reply{Type: ReplyMusic, Title: title, Description: description, MusicURL: musicURL, HQMusicURL: hqMusicURL, ThumbMediaID: thumbMediaID}
}

// News returns a reply of one article.
func News(title, description, picURL, url string) *Reply {
	return &Reply{Type: ReplyNews, Title: title, Description: description, PicURL: picURL, URL: url}
}

// Transfer hands the conversation to the customer-service staff; a
// kfAccount ("" for any) picks one.
func Transfer(kfAccount string) *Reply { return &Reply{Type: ReplyTransfer, KfAccount: kfAccount} }
