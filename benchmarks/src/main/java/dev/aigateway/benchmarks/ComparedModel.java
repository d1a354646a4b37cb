package dev.aigateway.benchmarks;

import dev.aigateway.api.spi.EmbeddingModel;
import dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel;
import dev.aigateway.embeddings.onnx.OnnxEmbeddingModel;
import dev.aigateway.embeddings.onnx.OnnxEmbeddingModel.Choice;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The in-process sentence models {@link SemanticCacheEvaluation} compares, by the name its {@code
 * --model} option takes: the default of {@code ai-gateway-embeddings-onnx}, and three of its
 * optional {@link OnnxEmbeddingModel} choices, measured beside it (docs/semantic-eval.md says why
 * they are not the default). Each is given its text as its model card asks for symmetric similarity
 * of two sentences.
 */
enum ComparedModel {
  /** {@link MiniLmEmbeddingModel}. */
  MINILM(MiniLmEmbeddingModel::create),
  /** {@link Choice#BGE_SMALL_EN_V15}. */
  BGE_SMALL(() -> OnnxEmbeddingModel.create(Choice.BGE_SMALL_EN_V15)),
  /** {@link Choice#BGE_SMALL_EN_V15_Q}. */
  BGE_SMALL_Q(() -> OnnxEmbeddingModel.create(Choice.BGE_SMALL_EN_V15_Q)),
  /** {@link Choice#E5_SMALL_V2_Q} (LangChain4j 1.20.0-beta30 has no unquantized e5-small-v2). */
  E5_SMALL_Q(() -> OnnxEmbeddingModel.create(Choice.E5_SMALL_V2_Q));

  private final Supplier<EmbeddingModel> model;

  ComparedModel(Supplier<EmbeddingModel> model) {
    this.model = model;
  }

  /** The name {@code --model} takes, such as {@code bge-small}. */
  String option() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The model, loaded on first use; all but all-MiniLM-L6-v2 need the benchmarks built with {@code
   * -Pcompare-models} (otherwise their first embedding fails, naming the missing artifact).
   */
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
}
