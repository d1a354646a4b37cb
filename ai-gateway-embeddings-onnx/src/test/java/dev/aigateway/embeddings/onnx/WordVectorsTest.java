package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.core.cache.LearnedVerifier;
import dev.aigateway.core.cache.TokenVectorModel;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MiniLmEmbeddingModel#wordVectors}: all-MiniLM-L6-v2's words read in context. */
class WordVectorsTest {

  private final MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int d = 0; d < a.length; d++) {
      dot += a[d] * b[d];
      na += a[d] * a[d];
      nb += b[d] * b[d];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void eachWordGetsOneVectorOfTheModelsWidthAndItsPiecesAreJoined() throws IOException {
    TokenVectorModel.WordVectors v = model.wordVectors("Does a buoyancy compensator help, Ada?");
    assertThat(v.words())
        .containsExactly("does", "a", "buoyancy", "compensator", "help", ",", "ada", "?");
    assertThat(v.vectors()).allSatisfy(x -> assertThat(x).hasSize(MiniLmEmbeddingModel.DIMENSIONS));
  }

  @Test
  void wordsAfterAnEmojiAreCutWhereTheyAre() throws IOException {
    // An emoji is two chars of a Java string but one character of the tokenizer's offsets.
    TokenVectorModel.WordVectors v =
        model.wordVectors("I love \uD83D\uDE00 my cat \uD83D\uDC08 Tom");

    assertThat(v.words()).endsWith("my", "cat", "\uD83D\uDC08", "tom").contains("\uD83D\uDE00");
  }

  @Test
  void wordsAfterAnUnpairedSurrogateAreCutWhereTheyAre() throws IOException {
    // A JSON string may carry a lone surrogate as an escape; the words around it keep their places.
    TokenVectorModel.WordVectors v = model.wordVectors("abc \uD800 def \uD83D\uDE00 ghi");

    assertThat(v.words()).startsWith("abc").endsWith("def", "\uD83D\uDE00", "ghi");
  }

  @Test
  void theSameWordInAnotherPlaceGetsAnotherVector() throws IOException {
    TokenVectorModel.WordVectors a = model.wordVectors("translate from English to German");
    TokenVectorModel.WordVectors b = model.wordVectors("translate from German to English");
    TokenVectorModel.WordVectors again = model.wordVectors("translate from English to German");
    assertThat(a.words()).containsExactly("translate", "from", "english", "to", "german");
    float[] englishA = a.vectors().get(2);
    float[] englishB = b.vectors().get(b.words().indexOf("english"));
    assertThat(cosine(englishA, englishB)).isLessThan(0.999).isGreaterThan(0.5);
    assertThat(cosine(englishA, again.vectors().get(2))).isGreaterThan(0.9999);
    // the word is closer to itself elsewhere than to the other word in its own place
    assertThat(cosine(englishA, englishB)).isGreaterThan(cosine(englishA, b.vectors().get(2)));
  }

  @Test
  void theVerifierReadsWordsInContextFromThisModel() {
    double[] f =
        LearnedVerifier.builder(model)
            .build()
            .features("Does smoking cause cancer?", "Does cancer cause smoking?", 0.95);
    List<String> names = LearnedVerifier.featureNames();
    assertThat(f[names.indexOf("greedy_f")]).isGreaterThan(0.5).isLessThanOrEqualTo(1.0);
    assertThat(f[names.indexOf("same_word_shift_min")]).isGreaterThan(-1.0).isLessThan(0.99);
  }

  @Test
  void oneRunGivesTheEmbeddingAndTheWords() throws IOException {
    for (String text :
        List.of(
            "How do I reset my password?",
            "Don't charge my card twice, I'm on the 9.99 plan",
            "Translate 'bonjour' from French to English.")) {
      MiniLmEmbeddingModel.EmbeddedWords run = model.embedWithWords(text);
      assertThat(run.embedding()).isNotNull();
      assertThat(cosine(run.embedding(), model.embed(text))).as(text).isGreaterThan(0.99999);
      assertThat(run.words().words()).isEqualTo(model.wordVectors(text).words());
    }
    String tooLong = "word ".repeat(600);
    assertThat(model.embedWithWords(tooLong).embedding()).isNull();
    assertThat(model.embedWithWords(tooLong).words().size()).isEqualTo(126);
  }

  @Test
  void aNullTextIsRefused() {
    assertThatThrownBy(() -> model.wordVectors(null)).isInstanceOf(NullPointerException.class);
  }
}
