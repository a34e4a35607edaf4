#![allow(dead_code)]

pub const NEWS_TITLE: &str = "Council approves new river bridge after decade of debate";

pub const NEWS: &str = "\
The Millbrook city council voted 7-2 on Tuesday night to approve construction of a new bridge over the Harlow River, ending more than a decade of debate over how to replace the ageing crossing.

The existing bridge, built in 1958, carries about 18,000 vehicles a day. It was rated structurally deficient by state inspectors in 2019. Since then, heavy trucks have been banned from the span and a weight limit of ten tons has been enforced.

The new bridge will cost an estimated $42 million, with roughly two thirds of the money coming from a federal infrastructure grant. The council will cover the remaining cost through a bond issue that voters approved last November. Construction is expected to begin next spring and take about three years.

Council member Dana Ortiz, who voted in favour, said the decision was long overdue. \"We have patched this bridge for twenty years, and every winter the repair bill gets bigger,\" she said. However, the two members who voted against the plan argued that the design is too expensive.

They said a cheaper design could have been built faster. Council member Tom Reese proposed a two-lane bridge without a separate bike path, which he said would have saved $9 million. His proposal was rejected by the council in a 5-4 vote last month.

During construction, the old bridge will remain open to cars, but pedestrians will use a temporary footbridge. The city plans to publish a detailed traffic plan for the construction period in January.

What happens to the old bridge is still unclear. Some residents have asked the council to keep it as a pedestrian walkway. A decision on its future is expected later this year.";

pub const HOWTO_TITLE: &str = "How to repot a houseplant";

pub const HOWTO: &str = "\
Repotting a houseplant gives its roots fresh soil and room to grow. Most plants need a new pot every one to two years, usually in spring when they start growing again.

Start by choosing a new pot that is only one or two inches wider than the old one. A pot that is much bigger holds too much wet soil, which can rot the roots. Make sure the new pot has a drainage hole in the bottom.

Water the plant a day before you repot it. Moist soil holds together and slides out of the old pot more easily. It also reduces stress on the roots.

To remove the plant, turn the pot on its side and gently squeeze or tap the sides. Support the base of the stems with one hand while you ease the root ball out. Never pull the plant out by its stems.

Loosen the roots with your fingers if they are circling the root ball. Trim any roots that are black, mushy or smell bad, because these are signs of root rot. Healthy roots are firm and white or light tan.

Add a layer of fresh potting mix to the bottom of the new pot. Set the plant on top so that the base of the stems sits about an inch below the rim. Fill the space around the root ball with potting mix and press it down lightly.

Water the plant thoroughly until water runs out of the drainage hole. Then place it in bright, indirect light for a week while it recovers. Do not fertilize a freshly repotted plant for about a month.";

pub const REVIEW_TITLE: &str = "Aurora X2 headphones review: great sound, short battery";

pub const REVIEW: &str = "\
The Aurora X2 are the most comfortable noise-cancelling headphones we have tested this year. They weigh just 240 grams and the memory-foam ear cushions never felt tight, even after a four-hour flight.

Sound quality is excellent for the price. The X2 deliver deep, controlled bass and clear vocals, and the treble is bright without being harsh. Classical recordings sounded spacious, and the headphones handled fast rock tracks without turning muddy.

Noise cancelling is good but not class-leading. The X2 removed most engine rumble on our flight, but voices and keyboard clatter still leaked through. Rivals that cost $100 more do a noticeably better job in busy offices.

Battery life is the biggest weakness of the Aurora X2. We measured 19 hours with noise cancelling switched on, well short of the 30 hours the company claims. It is also far behind competitors that last 40 hours or more.

The companion app is simple and works well. It offers a five-band equalizer, lets you choose how strongly the noise cancelling works, and installs firmware updates quickly. This makes it easy to tune the sound to your taste.

Should you buy them? At $199, the Aurora X2 are a strong choice for anyone who values comfort and sound quality over battery life. Frequent travellers who need two days of listening between charges should look elsewhere.";

/// Crude tag stripper: drops `<...>`, `<script>`/`<style>` bodies, decodes a
/// few entities, and turns block-level tags into blank lines.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[1..gt].trim_start_matches('/').to_ascii_lowercase();
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &after[gt + 1..];
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            match rest.to_ascii_lowercase().find(&close) {
                Some(p) => rest = &rest[p..],
                None => rest = "",
            }
            continue;
        }
        let block = matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "section"
                | "article"
                | "blockquote"
                | "pre"
                | "tr"
                | "ul"
                | "ol"
                | "figure"
                | "figcaption"
                | "table"
                | "header"
                | "footer"
        );
        out.push_str(if block { "\n\n" } else { " " });
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}
