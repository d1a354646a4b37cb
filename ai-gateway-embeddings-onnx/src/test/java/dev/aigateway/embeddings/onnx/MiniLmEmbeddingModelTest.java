package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MiniLmEmbeddingModelTest {

  private final MiniLmEmbeddingModel model = MiniLmEmbeddingModel.create();

  @Test
  void embedsInto384DimensionsOfUnitLength() throws IOException {
    float[] vector = model.embed("How do I reset my password?");

    assertThat(vector).hasSize(MiniLmEmbeddingModel.DIMENSIONS).hasSize(384);
    assertThat(norm(vector)).isCloseTo(1.0, offset(1e-4));
  }

  @Test
  void readsOnlyTheFirst128WordPiecesOfALongText() throws IOException {
    StringBuilder words = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      words.append("word").append(i % 37).append(' ');
    }
    String longText = words.toString();
    String differentEnding =
        longText + "Then a question about volcanoes, oceans and mountains that is not read.";

    float[] vector = model.embed(longText);
    float[] other = model.embed(differentEnding);

    double cosine = 0;
    for (int i = 0; i < vector.length; i++) {
      cosine += vector[i] * other[i];
    }
    assertThat(cosine)
        .as("a documented limit: what follows the first 128 pieces does not change the vector")
        .isCloseTo(1.0, within(1e-6));
  }

  @Test
  void saysHowMuchOfALongTextItReads() throws IOException {
    StringBuilder words = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      words.append("word").append(i % 37).append(' ');
    }
    String document = words.toString();
    String first = document + "Does the policy cover opened items?";
    String second = document + "Does the policy cover items bought on sale?";
    String shortPrompt = "How do I reset my password?";

    int read = model.charactersRead(first);

    assertThat(model.charactersRead(shortPrompt)).isEqualTo(shortPrompt.length());
    assertThat(read).isPositive().isLessThan(document.length());
    assertThat(model.charactersRead(second)).isEqualTo(read);
    assertThat(cosine(model.embed(first.substring(0, read)), model.embed(first)))
        .as("what it says it read is all that reaches the vector")
        .isCloseTo(1.0, within(1e-5));
    assertThat(cosine(model.embed(first), model.embed(second))).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void saysHowMuchOfALongTextWithEmojiItReads() throws IOException {
    // Each emoji is two chars of the string (a surrogate pair) but one character to the tokenizer.
    String text = "Great job \uD83C\uDF89 thanks \uD83D\uDE00 ".repeat(40);

    int read = model.charactersRead(text);

    assertThat(read).isPositive().isLessThan(text.length());
    assertThat(Character.isLowSurrogate(text.charAt(read))).as("not inside a pair").isFalse();
    assertThat(cosine(model.embed(text.substring(0, read)), model.embed(text)))
        .as("what it says it read is all that reaches the vector")
        .isCloseTo(1.0, within(1e-5));
  }

  @Test
  void saysHowMuchOfALongTextWithAnUnpairedSurrogateItReads() throws IOException {
    String text = "Great job \uD800 thanks \uD83D\uDE00 ".repeat(40);

    int read = model.charactersRead(text);

    assertThat(read).isPositive().isLessThan(text.length());
    assertThat(cosine(model.embed(text.substring(0, read)), model.embed(text)))
        .as("what it says it read is all that reaches the vector")
        .isCloseTo(1.0, within(1e-5));
  }

  @Test
  void aTextOfExactlyWhatItReadsIsReadWhole() throws IOException {
    StringBuilder words = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      words.append("word").append(i % 37).append(' ');
    }
    String cut = words.substring(0, model.charactersRead(words.toString()));

    assertThat(model.charactersRead(cut)).isEqualTo(cut.length());
  }

  @Test
  void isNamedAfterTheModel() {
    assertThat(model.name()).isEqualTo("all-MiniLM-L6-v2");
  }

  @Test
  void theSameTextAlwaysGivesTheSameVector() throws IOException {
    String text = "Summarise the attached quarterly report in three bullet points.";

    assertThat(model.embed(text)).containsExactly(model.embed(text));
  }

  @Test
  void aParaphraseIsCloserThanAnUnrelatedText() throws IOException {
    float[] question = model.embed("How can I change the password of my account?");
    float[] paraphrase = model.embed("What are the steps to update my account password?");
    float[] unrelated = model.embed("Write a haiku about autumn leaves falling in the park.");

    double close = cosine(question, paraphrase);
    double far = cosine(question, unrelated);
    assertThat(close).isGreaterThan(0.7);
    assertThat(far).isLessThan(0.3);
    assertThat(close).isGreaterThan(far + 0.4);
  }

  @Test
  void instancesShareOneModel() throws IOException {
    try (MiniLmEmbeddingModel other = MiniLmEmbeddingModel.create()) {
      assertThat(other.model()).isSameAs(model.model());
      assertThat(model.load()).isSameAs(model);
    }
    assertThat(model.embed("still open")).hasSize(384);
  }

  @Test
  void closingTheLastInstanceReleasesTheNativeSessionsOnce() throws Exception {
    LazyModel.Shared shared = MiniLmEmbeddingModel.shared();
    MiniLmEmbeddingModel first = MiniLmEmbeddingModel.create(shared);
    MiniLmEmbeddingModel second = MiniLmEmbeddingModel.create(shared);
    String text = "How do I reset my password?";
    float[] vector = first.embed(text);
    assertThat(second.wordVectors(text).words()).contains("password");
    assertThat(second.charactersRead(text)).isEqualTo(text.length());
    OrtSession session = first.model().sessionIfLoaded();
    OrtSession words = Objects.requireNonNull(first.model().words()).sessionIfLoaded();
    assertThat(session).isNotNull();
    assertThat(words).isNotNull();

    first.close();
    first.close();

    assertThatThrownBy(() -> first.embed(text))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("all-MiniLM-L6-v2")
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> first.charactersRead(text)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(first::load).isInstanceOf(IllegalStateException.class);
    assertThat(second.embed(text)).as("another instance still uses it").containsExactly(vector);
    assertThat(session.getInputInfo()).isNotEmpty();

    second.close();
    second.close();

    assertThatThrownBy(session::getInputInfo)
        .as("the model's session was released")
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(words::getInputInfo)
        .as("the word vectors' session was released")
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> second.wordVectors(text)).isInstanceOf(IllegalStateException.class);
    try (MiniLmEmbeddingModel again = MiniLmEmbeddingModel.create(shared)) {
      assertThat(again.embed(text)).as("loaded again").containsExactly(vector);
      assertThat(again.model()).isNotSameAs(first.model());
    }
  }

  @Test
  void closingWaitsForTheCallsRunningAndFailsTheLaterOnes() throws Exception {
    LazyModel.Shared shared = MiniLmEmbeddingModel.shared();
    MiniLmEmbeddingModel closing = MiniLmEmbeddingModel.create(shared).load();
    String text = "Why does my Kubernetes pod keep restarting with exit code 137?";
    float[] expected = closing.embed(text);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch running = new CountDownLatch(threads);
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  running.countDown();
                  int embedded = 0;
                  while (true) {
                    float[] vector;
                    try {
                      vector = closing.embed(text);
                    } catch (IllegalStateException closed) {
                      return embedded;
                    }
                    assertThat(vector).containsExactly(expected);
                    embedded++;
                  }
                }));
      }
      assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();

      closing.close();

      for (Future<Integer> future : futures) {
        assertThat(future.get(60, TimeUnit.SECONDS)).isNotNegative();
      }
      assertThatThrownBy(() -> closing.model().sessionIfLoaded().getInputInfo())
          .isInstanceOf(IllegalStateException.class);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void loadingOptsOutOfTheTokenizersTelemetryUnlessTheApplicationChose() throws IOException {
    assumeTrue(System.getenv(MiniLmEmbeddingModel.OPT_OUT_TRACKING) == null);

    model.load();

    assertThat(System.getProperty(MiniLmEmbeddingModel.OPT_OUT_TRACKING)).isEqualTo("true");
  }

  @Test
  void textLongerThanTheModelWindowIsEmbeddedWhole() throws IOException {
    String sentence = "The deployment pipeline builds the service, runs the tests and ships it. ";
    float[] vector = model.embed(sentence.repeat(200)); // about 3,000 word pieces

    assertThat(vector).hasSize(384);
    assertThat(cosine(vector, model.embed(sentence)))
        .isGreaterThan(0.7)
        .isGreaterThan(cosine(vector, model.embed("A recipe for lemon cake with poppy seeds.")));
  }

  @Test
  void failuresAreIoExceptionsThatNameTheModel() {
    assertThatThrownBy(() -> model.embed(""))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("all-MiniLM-L6-v2");
  }

  @Test
  void concurrentCallersGetTheSameVectorsAsOneCaller() throws Exception {
    List<String> texts =
        List.of(
            "Cancel my subscription at the end of the month.",
            "Translate this paragraph into German, keeping the formal tone.",
            "Why does my Kubernetes pod keep restarting with exit code 137?",
            "List the three largest tables in the analytics database.");
    List<float[]> expected = new ArrayList<>();
    for (String text : texts) {
      expected.add(model.embed(text));
    }
    int threads = 6;
    int rounds = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<float[]>>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        Callable<List<float[]>> task =
            () -> {
              start.await();
              List<float[]> vectors = new ArrayList<>();
              for (int i = 0; i < rounds * texts.size(); i++) {
                vectors.add(model.embed(texts.get((i + offset) % texts.size())));
              }
              return vectors;
            };
        futures.add(pool.submit(task));
      }
      start.countDown();
      for (int t = 0; t < threads; t++) {
        List<float[]> vectors = futures.get(t).get(60, TimeUnit.SECONDS);
        for (int i = 0; i < vectors.size(); i++) {
          assertThat(vectors.get(i)).containsExactly(expected.get((i + t) % texts.size()));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    return dot / (norm(a) * norm(b));
  }

  private static double norm(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += x * x;
    }
    return Math.sqrt(sum);
  }
}
