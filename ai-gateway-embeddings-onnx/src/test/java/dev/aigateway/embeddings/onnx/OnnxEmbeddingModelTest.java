package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import ai.onnxruntime.OrtSession;
import dev.aigateway.embeddings.onnx.OnnxEmbeddingModel.Choice;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OnnxEmbeddingModelTest {

  @ParameterizedTest
  @EnumSource(Choice.class)
  void embedsInto384DimensionsOfUnitLength(Choice choice) throws IOException {
    float[] vector = OnnxEmbeddingModel.create(choice).embed("How do I reset my password?");

    assertThat(vector).hasSize(OnnxEmbeddingModel.DIMENSIONS).hasSize(384);
    double squares = 0;
    for (float x : vector) {
      squares += x * x;
    }
    assertThat(Math.sqrt(squares)).isCloseTo(1.0, offset(1e-4));
  }

  @ParameterizedTest
  @EnumSource(Choice.class)
  void aParaphraseIsCloserThanAnUnrelatedText(Choice choice) throws IOException {
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
    float[] question = model.embed("How can I change the password of my account?");
    float[] paraphrase = model.embed("What are the steps to update my account password?");
    float[] sameTopic = model.embed("How can I delete my account?");
    float[] unrelated = model.embed("Write a haiku about autumn leaves falling in the park.");

    double close = MiniLmEmbeddingModelTest.cosine(question, paraphrase);
    double related = MiniLmEmbeddingModelTest.cosine(question, sameTopic);
    double far = MiniLmEmbeddingModelTest.cosine(question, unrelated);
    assertThat(close).isGreaterThan(related);
    assertThat(related).isGreaterThan(far);
    assertThat(close).isGreaterThan(far + 0.1);
  }

  @ParameterizedTest
  @EnumSource(Choice.class)
  void isNamedAfterItsModelAndDiffersFromTheDefault(Choice choice) throws IOException {
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
    String text = "Summarise the attached quarterly report in three bullet points.";

    assertThat(model.name()).isEqualTo(choice.modelName()).isNotEqualTo(MiniLmEmbeddingModel.NAME);
    assertThat(model.choice()).isSameAs(choice);
    assertThat(model.embed(text)).containsExactly(model.embed(text));
    assertThat(Arrays.equals(model.embed(text), MiniLmEmbeddingModel.create().embed(text)))
        .isFalse();
  }

  @ParameterizedTest
  @EnumSource(Choice.class)
  void saysWhetherItReadsALongTextWhole(Choice choice) throws IOException {
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
    StringBuilder words = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      words.append("word").append(i % 37).append(' ');
    }
    String longText = words + "Does the policy cover opened items?";
    String shortText = "How do I reset my password?";

    assertThat(model.charactersRead(shortText)).isEqualTo(shortText.length());
    if (choice == Choice.ALL_MINILM_L6_V2_Q) {
      assertThat(model.charactersRead(longText))
          .as("its tokenizer keeps 128 pieces, as the default model's does")
          .isEqualTo(MiniLmEmbeddingModel.create().charactersRead(longText))
          .isLessThan(longText.length());
    } else {
      assertThat(model.charactersRead(longText))
          .as("its tokenizer sets no cut: LangChain4j embeds a long text in windows")
          .isEqualTo(longText.length());
    }
  }

  @Test
  void theInstancesOfAChoiceShareOneModelAndEachChoiceHasANameOfItsOwn() throws IOException {
    for (Choice choice : Choice.values()) {
      OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
      try (OnnxEmbeddingModel other = OnnxEmbeddingModel.create(choice)) {
        assertThat(other.model()).isSameAs(model.model());
        assertThat(model.load()).isSameAs(model);
      }
      assertThat(choice.artifactId()).startsWith("langchain4j-embeddings-");
    }
    assertThat(Arrays.stream(Choice.values()).map(Choice::modelName).distinct())
        .hasSize(Choice.values().length);
  }

  @ParameterizedTest
  @EnumSource(Choice.class)
  void itsVectorsAreLangChain4jsToTheLastBit(Choice choice) throws IOException {
    dev.langchain4j.model.embedding.EmbeddingModel reference =
        switch (choice) {
          case ALL_MINILM_L6_V2_Q -> new AllMiniLmL6V2QuantizedEmbeddingModel();
          case BGE_SMALL_EN_V15 -> new BgeSmallEnV15EmbeddingModel();
          case BGE_SMALL_EN_V15_Q -> new BgeSmallEnV15QuantizedEmbeddingModel();
          case E5_SMALL_V2_Q -> new E5SmallV2QuantizedEmbeddingModel();
        };
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
    String sentence = "The deployment pipeline builds the service, runs the tests and ships it. ";
    for (String text :
        List.of(
            "How do I reset my password?",
            "Déjà vu: naïve café owners in Zürich, 東京 and Москва",
            sentence.repeat(60))) { // about 1,000 pieces: windows, for the models without a cut
      assertThat(model.embed(text))
          .as(text)
          .containsExactly(reference.embed(choice.prefix() + text).content().vector());
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Choice.class,
      names = {"BGE_SMALL_EN_V15_Q", "E5_SMALL_V2_Q"})
  void aHugePromptIsReadNoFurtherThanItsFirstWindows(Choice choice) throws IOException {
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(choice);
    String sentence = "The deployment pipeline builds the service, runs the tests and ships it. ";
    String huge = sentence.repeat(20 * 1024 * 1024 / sentence.length());

    long before = model.model().charactersTokenized();
    int read = model.charactersRead(huge);
    float[] vector = model.embed(huge);
    long looked = model.model().charactersTokenized() - before;

    assertThat(looked)
        .as("characters the tokenizer was given for a prompt of %,d characters", huge.length())
        .isLessThan(200_000);
    assertThat(read).isPositive().isLessThan(huge.length());
    dev.langchain4j.model.embedding.EmbeddingModel reference =
        choice == Choice.E5_SMALL_V2_Q
            ? new E5SmallV2QuantizedEmbeddingModel()
            : new BgeSmallEnV15QuantizedEmbeddingModel();
    assertThat(vector)
        .as("the embedding of what it says it read, as LangChain4j's model computes it")
        .containsExactly(
            reference.embed(choice.prefix() + huge.substring(0, read)).content().vector());
    assertThat(model.charactersRead(huge.substring(0, read))).isEqualTo(read);
  }

  @Test
  void closingTheLastInstanceOfAChoiceReleasesItsNativeSession() throws IOException {
    LazyModel.Shared shared = OnnxEmbeddingModel.shared(Choice.ALL_MINILM_L6_V2_Q);
    OnnxEmbeddingModel model = OnnxEmbeddingModel.create(Choice.ALL_MINILM_L6_V2_Q, shared);
    float[] vector = model.embed("How do I reset my password?");
    OrtSession session = model.model().sessionIfLoaded();
    assertThat(session).isNotNull();

    model.close();
    model.close();

    assertThatThrownBy(session::getInputInfo)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> model.embed("How do I reset my password?"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("all-MiniLM-L6-v2-q")
        .hasMessageContaining("closed");
    try (OnnxEmbeddingModel again = OnnxEmbeddingModel.create(Choice.ALL_MINILM_L6_V2_Q, shared)) {
      assertThat(again.embed("How do I reset my password?")).containsExactly(vector);
    }
  }

  @Test
  void e5IsGivenTheQueryPrefixItsCardAsksFor() {
    assertThat(Choice.E5_SMALL_V2_Q.prefix()).isEqualTo("query: ");
    assertThat(Choice.BGE_SMALL_EN_V15.prefix()).isEmpty();
  }

  @Test
  void failuresAreIoExceptionsThatNameTheModel() {
    assertThatThrownBy(() -> OnnxEmbeddingModel.create(Choice.BGE_SMALL_EN_V15_Q).embed(""))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bge-small-en-v1.5-q");
  }
}
