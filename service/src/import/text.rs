//! Plain-text novels: decoding (UTF-8 or GB18030/GBK) and splitting at chapter headings.

use super::ImportChapter;

/// Decodes a text file: UTF-8 (with or without BOM), else GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Splits a novel at headings such as `第十二章 …`, `第12章`, `第一百回`, `Chapter 12`.
/// Text before the first heading becomes a `前言` chapter when there is any.
pub fn split_chapters(text: &str) -> Vec<ImportChapter> {
    static HEADING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?m)^[ \t\u{3000}]*((?:第[0-9０-９零〇一二三四五六七八九十百千万两]+[章回节卷](?:[ \t\u{3000}].*)?)|(?:Chapter[ \t]+[0-9]+.*))[ \t\u{3000}]*$",
        )
        .unwrap_or_else(|_| unreachable!("constant regex"))
    });
    let text = text.replace("\r\n", "\n");
    let mut chapters = Vec::new();
    let mut last_title: Option<String> = None;
    let mut last_end = 0;
    for m in HEADING.captures_iter(&text) {
        let (Some(whole), Some(title)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let body = text[last_end..whole.start()].trim();
        match last_title.take() {
            Some(t) => chapters.push(ImportChapter {
                title: t,
                content: body.to_owned(),
            }),
            None if !body.is_empty() => chapters.push(ImportChapter {
                title: "前言".into(),
                content: body.to_owned(),
            }),
            None => {}
        }
        last_title = Some(title.as_str().trim().to_owned());
        last_end = whole.end();
    }
    let rest = text[last_end..].trim();
    match last_title {
        Some(t) => chapters.push(ImportChapter {
            title: t,
            content: rest.to_owned(),
        }),
        None if !rest.is_empty() => chapters.push(ImportChapter {
            title: "正文".into(),
            content: rest.to_owned(),
        }),
        None => {}
    }
    // A heading with nothing under it (e.g. a table of contents line) is not a chapter.
    chapters.retain(|c| !c.content.is_empty());
    chapters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_chinese_and_english_headings() {
        let text = "序言一段。\n第一章 灵根育孕\n花果山上。\n\n第12章\n正文十二。\n  第一百回 大结局  \n完。\nChapter 7 The End\nfin";
        let ch = split_chapters(text);
        let titles: Vec<&str> = ch.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "前言",
                "第一章 灵根育孕",
                "第12章",
                "第一百回 大结局",
                "Chapter 7 The End"
            ]
        );
        assert_eq!(ch[1].content, "花果山上。");
        assert_eq!(ch[4].content, "fin");
        // A line that merely mentions a chapter mid-sentence is not a heading.
        assert_eq!(
            split_chapters("他说第一章写得好。\n第二章 开始\n内容").len(),
            2
        );
    }

    #[test]
    fn decodes_gbk_and_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("第一章 开端\n天下大势，分久必合。");
        assert_eq!(decode_text(&gbk), "第一章 开端\n天下大势，分久必合。");
        assert_eq!(decode_text("\u{feff}第1章 x".as_bytes()), "第1章 x");
    }
}
