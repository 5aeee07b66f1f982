//! An event in words, for each place it lands: an email (HTML with its plain-text alternative, askama templates in
//! `api/templates/notify/`, HTML-escaped by default), a Slack message (mrkdwn, its control characters escaped) and a
//! Microsoft Teams message (an Adaptive Card, its Markdown escaped). Every text the catalog holds is outside text:
//! it is flattened to one line, clipped (`embed::clip`) and then escaped for its destination, so a product name
//! cannot add markup, mention `@channel`, forge a link or add a header.

use askama::Template;
use meshport_shared::events::{Event, EventKind};
use serde_json::{Value, json};

use crate::embed::clip;

const NAME_CHARS: usize = 100;
const TEXT_CHARS: usize = 600;
const FACT_CHARS: usize = 120;
/// Slack's limit for a header block's text.
const SLACK_HEADER_CHARS: usize = 150;

/// What every rendering of an event shows, in plain (unescaped, clipped) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: &'static str,
    pub product_id: String,
    pub product_name: String,
    pub domain: String,
    pub team: String,
    pub actor: String,
    pub summary: String,
    pub facts: Vec<Fact>,
    /// The product's page in the portal.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

/// An email's three parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "notify/email.html")]
struct EmailHtml<'a> {
    subject: &'a str,
    notice: &'a Notice,
}

#[derive(Template)]
#[template(path = "notify/email.txt")]
struct EmailText<'a> {
    notice: &'a Notice,
}

impl Notice {
    /// The notice of `event`, linking to its product under `portal_url` (no trailing slash).
    pub fn of(event: &Event, portal_url: &str) -> Notice {
        let data = &event.data;
        let change = &data.change;
        let mut facts = Vec::new();
        let mut fact = |label: &'static str, value: Option<String>| {
            if let Some(value) = value {
                facts.push(Fact { label, value: clip(&value, FACT_CHARS) });
            }
        };
        fact("Version", change.version.clone());
        fact("Sunset", change.sunset.clone());
        fact("Replacement", change.replacement.as_ref().map(|id| id.to_string()));
        fact("Team", change.team.clone());
        fact("Expires", change.expires.clone());
        fact("Breaking", change.breaking.map(|breaking| if breaking { "yes" } else { "no" }.to_owned()));
        Notice {
            kind: event.kind.describe(),
            product_id: data.product.id.to_string(),
            product_name: clip(&data.product.name, NAME_CHARS),
            domain: clip(&data.product.domain, FACT_CHARS),
            team: clip(&data.product.team, FACT_CHARS),
            actor: clip(&data.actor, FACT_CHARS),
            summary: clip(&change.summary, TEXT_CHARS),
            facts,
            link: format!("{portal_url}/products/{}", data.product.id),
        }
    }

    fn headline(&self) -> String {
        format!("{}: {}", self.product_name, self.kind)
    }

    /// Access events are about a request rather than the product's life; the subject line says so first.
    fn subject(&self, kind: EventKind) -> String {
        let what = match kind {
            EventKind::AccessRequested
            | EventKind::AccessApproved
            | EventKind::AccessDenied
            | EventKind::AccessRevoked
            | EventKind::AccessExpiring
            | EventKind::AccessExpired => "access",
            _ => "product",
        };
        format!("[Meshport {what}] {} ({}): {}", self.product_name, self.product_id, self.kind)
    }
}

/// The email of `event`: subject, plain text and HTML.
pub fn email(event: &Event, notice: &Notice) -> Email {
    let subject = notice.subject(event.kind);
    // Rendering these templates writes only to a String and calls no fallible filter: it cannot fail.
    let html = EmailHtml { subject: &subject, notice }.render().expect("the email template renders");
    let text = EmailText { notice }.render().expect("the email text renders");
    Email { subject, text, html }
}

/// A Slack incoming webhook's message: a plain-text header and a mrkdwn section linking to the product, with the
/// same text as the notification's fallback.
pub fn slack(notice: &Notice) -> Value {
    let mut lines = vec![slack_escape(&notice.summary)];
    for fact in &notice.facts {
        lines.push(format!("*{}:* {}", fact.label, slack_escape(&fact.value)));
    }
    lines.push(format!(
        "{} · {} · by {} · <{}|Open in Meshport>",
        slack_escape(&notice.product_id),
        slack_escape(&notice.team),
        slack_escape(&notice.actor),
        notice.link
    ));
    let headline = notice.headline();
    json!({
        "text": slack_escape(&headline),
        "blocks": [
            {
                "type": "header",
                "text": { "type": "plain_text", "text": clip(&headline, SLACK_HEADER_CHARS), "emoji": false }
            },
            { "type": "section", "text": { "type": "mrkdwn", "text": lines.join("\n") } }
        ]
    })
}

/// A Microsoft Teams incoming webhook's message: one Adaptive Card (the format Teams' Workflows webhooks take),
/// its texts escaped Markdown, its link an action.
pub fn teams(notice: &Notice) -> Value {
    let facts: Vec<Value> =
        notice.facts.iter().map(|fact| json!({ "title": fact.label, "value": teams_escape(&fact.value) })).collect();
    let byline = format!("{} · {} · by {}", notice.product_id, notice.team, notice.actor);
    let mut body = vec![
        json!({ "type": "TextBlock", "text": teams_escape(&notice.headline()), "weight": "Bolder", "size": "Medium", "wrap": true }),
        json!({ "type": "TextBlock", "text": teams_escape(&notice.summary), "wrap": true }),
    ];
    if !facts.is_empty() {
        body.push(json!({ "type": "FactSet", "facts": facts }));
    }
    body.push(json!({ "type": "TextBlock", "text": teams_escape(&byline), "isSubtle": true, "wrap": true }));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": [{ "type": "Action.OpenUrl", "title": "Open in Meshport", "url": notice.link }]
            }
        }]
    })
}

/// Slack's own escaping for mrkdwn: `&`, `<` and `>` as entities, which is all it takes to keep `<!channel>`,
/// `<@U123>` and `<url|text>` from being read as mentions or links.
pub fn slack_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown as Adaptive Cards read it: every character that could start emphasis, a link, a heading, a list, a
/// quote, an HTML-like tag or an autolink gets a backslash.
pub fn teams_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!' | '<' | '>' | '|' | '{' | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PORTAL: &str = "https://meshport.acme.example";
    const HOSTILE_NAME: &str = "<script>alert(\"x\")</script> O'Brien & <!channel> <https://evil.example|click>";
    const HOSTILE_SUMMARY: &str = "Use **[this](https://evil.example)** <@U123> <!here> & \"quotes\"\r\nSubject: injected <img src=x onerror=alert(1)>";

    fn event(name: &str, summary: &str) -> Event {
        meshport_shared::testing::deprecation_event(7, name, summary)
    }

    fn hostile() -> (Event, Notice) {
        let event = event(HOSTILE_NAME, HOSTILE_SUMMARY);
        let notice = Notice::of(&event, PORTAL);
        (event, notice)
    }

    #[test]
    fn an_email_says_what_changed_with_a_link_to_the_product_in_both_parts() {
        let event = event("Orders", "Orders is deprecated: move to Orders v2.");
        let email = email(&event, &Notice::of(&event, PORTAL));

        assert_eq!(email.subject, "[Meshport product] Orders (sales.orders): deprecated");
        for part in [&email.text, &email.html] {
            assert!(part.contains("Orders is deprecated: move to Orders v2."), "{part}");
            assert!(part.contains("https://meshport.acme.example/products/sales.orders"), "{part}");
            assert!(part.contains("2027-01-31") && part.contains("sales.orders.v2"), "{part}");
        }
        assert!(email.text.contains("Sunset: 2027-01-31\nReplacement: sales.orders.v2"), "{}", email.text);
    }

    #[test]
    fn hostile_texts_are_escaped_in_the_html_email() {
        let (event, notice) = hostile();
        let html = email(&event, &notice).html;

        for forbidden in ["<script", "<img", "onerror=alert(1)>", "\"x\"", "O'Brien", "<!channel>", "<https://evil"] {
            assert!(!html.contains(forbidden), "`{forbidden}` reached the HTML: {html}");
        }
        assert!(html.contains("&#60;script&#62;alert(&#34;x&#34;)"), "{html}");
        assert!(html.contains("O&#39;Brien &#38; &#60;!channel&#62;"), "{html}");
    }

    #[test]
    fn hostile_texts_cannot_add_lines_or_headers() {
        let (event, notice) = hostile();
        let email = email(&event, &notice);

        assert!(!email.subject.contains(['\r', '\n']), "{}", email.subject);
        assert!(!email.text.contains("\nSubject: injected"), "{}", email.text);
        assert!(email.text.contains("\"quotes\" Subject: injected"), "{}", email.text);
    }

    #[test]
    fn hostile_texts_cannot_mention_or_link_in_slack() {
        let (_, notice) = hostile();
        let message = slack(&notice);
        let mrkdwn = [message["text"].as_str().unwrap(), message["blocks"][1]["text"]["text"].as_str().unwrap()];

        for text in mrkdwn {
            for forbidden in ["<!channel>", "<!here>", "<@U123>", "<https://evil.example", "<script>"] {
                assert!(!text.contains(forbidden), "`{forbidden}` reached Slack: {text}");
            }
        }
        assert!(
            mrkdwn[0].contains("O'Brien &amp; &lt;!channel&gt; &lt;https://evil.example|click&gt;"),
            "{}",
            mrkdwn[0]
        );
        assert!(mrkdwn[1].contains("&lt;@U123&gt; &lt;!here&gt; &amp;"), "{}", mrkdwn[1]);
        // Only our own link is a link.
        assert_eq!(mrkdwn[1].matches('<').count(), 1, "{}", mrkdwn[1]);
        assert!(mrkdwn[1].ends_with("<https://meshport.acme.example/products/sales.orders|Open in Meshport>"));
        assert_eq!(message["blocks"][0]["text"]["type"], "plain_text");
    }

    #[test]
    fn hostile_texts_cannot_format_or_link_in_teams() {
        let (_, notice) = hostile();
        let message = teams(&notice);
        let card = &message["attachments"][0]["content"];
        let texts: Vec<&str> =
            card["body"].as_array().unwrap().iter().filter_map(|block| block["text"].as_str()).collect();

        assert!(texts[1].contains(r"\*\*\[this\]\(https://evil.example\)\*\*"), "{}", texts[1]);
        assert!(texts[0].contains(r"\<script\>"), "{}", texts[0]);
        assert_eq!(card["actions"][0]["url"], "https://meshport.acme.example/products/sales.orders");
        assert_eq!(card["body"][2]["facts"][1]["value"], r"sales.orders.v2");
    }

    #[test]
    fn escaping_for_chat_is_exact() {
        let cases = [
            ("a & b <c> d|e", "a &amp; b &lt;c&gt; d|e", r"a & b \<c\> d\|e"),
            ("*bold* _it_ `code` [l](u)", "*bold* _it_ `code` [l](u)", r"\*bold\* \_it\_ \`code\` \[l\]\(u\)"),
            ("plain", "plain", "plain"),
        ];
        for (text, for_slack, for_teams) in cases {
            assert_eq!(slack_escape(text), for_slack);
            assert_eq!(teams_escape(text), for_teams);
        }
    }

    #[test]
    fn a_long_name_is_clipped_everywhere() {
        let long = "N".repeat(500);
        let event = event(&long, "s");
        let notice = Notice::of(&event, PORTAL);

        assert!(notice.product_name.chars().count() <= NAME_CHARS);
        let header = slack(&notice)["blocks"][0]["text"]["text"].as_str().unwrap().to_owned();
        assert!(header.chars().count() <= SLACK_HEADER_CHARS, "{header}");
    }
}
