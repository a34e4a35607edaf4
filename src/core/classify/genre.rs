//! Topic evidence from the page's content type. A few genres fix the subject whatever the sentences are about: a
//! story is literature (Entertainment & culture) even when it is set on a train, and a recipe is about food even
//! when its steps read like household advice. The embedding of a story's sentences describes what happens in it, so
//! without this evidence the topic follows the plot (a night train → Travel).

use super::{Label, LabelScore};

/// (content type id, topic id): a page of that content type is evidence for that topic.
pub static GENRE_TOPICS: &[(&str, &str)] = &[("fiction", "entertainment"), ("recipe", "food")];

/// Evidence (cosine units) per unit of content-type probability. Chosen on the first labelled set
/// (tests/t1_classify.rs): 0.1 / 0.2 / 0.3 / 0.5 gave 0.908 / 0.920 / 0.920 / 0.920, the smallest of the plateau.
pub const GENRE_WEIGHT: f32 = 0.2;

/// Per label of `labels` (a topic set), [`GENRE_WEIGHT`] times the probability `genre` gives the content types that
/// imply it; 0 for the others. `genre` holds content-type probabilities by id (empty: no evidence).
pub fn genre_evidence(labels: &[Label], genre: &[LabelScore]) -> Vec<f32> {
    labels
        .iter()
        .map(|l| {
            GENRE_TOPICS
                .iter()
                .filter(|(_, topic)| *topic == l.id)
                .filter_map(|(ct, _)| genre.iter().find(|g| g.id == *ct))
                .map(|g| GENRE_WEIGHT * g.score)
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::classify::LabelSet;

    fn score(id: &str, score: f32) -> LabelScore {
        LabelScore {
            id: id.into(),
            name: id.into(),
            score,
        }
    }

    #[test]
    fn a_story_is_evidence_for_culture_and_a_recipe_for_food() {
        let topics = LabelSet::Topic.labels();
        let genre = [
            score("fiction", 0.75),
            score("recipe", 0.25),
            score("news_article", 0.0),
        ];
        let ev = genre_evidence(&topics, &genre);
        let at = |id: &str| ev[topics.iter().position(|l| l.id == id).expect("topic")];
        assert!((at("entertainment") - 0.75 * GENRE_WEIGHT).abs() < 1e-6);
        assert!((at("food") - 0.25 * GENRE_WEIGHT).abs() < 1e-6);
        assert_eq!(at("travel"), 0.0);
        assert!(genre_evidence(&topics, &[]).iter().all(|&x| x == 0.0));
    }

    #[test]
    fn every_pair_names_a_real_content_type_and_topic() {
        let types = LabelSet::ContentType.labels();
        let topics = LabelSet::Topic.labels();
        for (ct, topic) in GENRE_TOPICS {
            assert!(types.iter().any(|l| l.id == *ct), "{ct}");
            assert!(topics.iter().any(|l| l.id == *topic), "{topic}");
        }
    }
}
