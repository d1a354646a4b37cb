package dev.aigateway.benchmarks;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The in-process sentence models {@link SemanticCacheEvaluation} compares, by the name its {@code
 * --model} option takes: the one {@code ai-gateway-embeddings-onnx} ships, and three other small
 * English models that LangChain4j packages, measured beside it (docs/semantic-eval.md says why they
 * are not shipped). Each is given its text as its model card asks for symmetric similarity of two
 * sentences.
 */
enum ComparedModel {
  /** {@link MiniLmEmbeddingModel}. */
  MINILM(MiniLmEmbeddingModel::create),
  /**
   * BAAI bge-small-en-v1.5, without an instruction: the card asks for one only on the query side of
   * retrieval (a short query against long passages).
   */
  BGE_SMALL(
      () ->
          new Unshipped(
              "bge-small-en-v1.5",
              "",
              "dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel")),
  /** bge-small-en-v1.5 quantized to 8 bits, without an instruction. */
  BGE_SMALL_Q(
      () ->
          new Unshipped(
              "bge-small-en-v1.5-q",
              "",
              "dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel")),
  /**
   * intfloat e5-small-v2 quantized to 8 bits (LangChain4j 1.20.0-beta30 has no unquantized
   * e5-small-v2), with "query: " before both texts, as its card asks for semantic similarity.
   */
  E5_SMALL_Q(
      () ->
          new Unshipped(
              "e5-small-v2-q",
              "query: ",
              "dev.langchain4j.model.embedding.onnx.e5smallv2q.E5SmallV2QuantizedEmbeddingModel"));

  private final Supplier<EmbeddingModel> model;

  ComparedModel(Supplier<EmbeddingModel> model) {
    this.model = model;
  }

  /** The name {@code --model} takes, such as {@code bge-small}. */
  String option() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The model; all-MiniLM-L6-v2 is loaded on first use, the others now. */
  EmbeddingModel create() {
    return model.get();
  }

  /**
   * The model {@code --model} names.
   *
   * @throws IllegalArgumentException naming the options when there is none such
   */
  static ComparedModel of(String option) {
    return Arrays.stream(values())
        .filter(m -> m.option().equals(option))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown model " + option + "; expected one of " + options()));
  }

  /** The names {@code --model} takes, separated by {@code |}. */
  static String options() {
    return Arrays.stream(values()).map(ComparedModel::option).collect(Collectors.joining("|"));
  }

  /** A LangChain4j model the library does not ship, with the prefix its card asks for. */
  private static final class Unshipped implements EmbeddingModel {

    /** DJL's telemetry switch, set as MiniLmEmbeddingModel sets it before loading. */
    private static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";

    private final String name;
    private final String prefix;
    private final dev.langchain4j.model.embedding.EmbeddingModel model;

    /**
     * Loads the model class by name: the models are on the class path only when the benchmarks were
     * built with {@code -Pcompare-models}.
     */
    Unshipped(String name, String prefix, String modelClass) {
      if (System.getenv(OPT_OUT_TRACKING) == null && System.getProperty(OPT_OUT_TRACKING) == null) {
        System.setProperty(OPT_OUT_TRACKING, "true");
      }
      this.name = name;
      this.prefix = prefix;
      try {
        this.model =
            (dev.langchain4j.model.embedding.EmbeddingModel)
                Class.forName(modelClass).getDeclaredConstructor().newInstance();
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(
            name
                + " is not on the class path: build the benchmarks "
                + "with -Pcompare-models (mvn -pl benchmarks -am -Pcompare-models package)",
            e);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot create " + name + ": " + e, e);
      }
    }

    @Override
    public float[] embed(String text) throws IOException {
      try {
        return model.embed(prefix + text).content().vector();
      } catch (RuntimeException e) {
        throw new IOException(
            name + " could not embed a text of " + text.length() + " characters: " + e, e);
      }
    }

    @Override
    public String name() {
      return name;
    }
  }
}
