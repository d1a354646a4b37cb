package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The embeddings module's public signatures name the JDK's types and the library's API only, never
 * ONNX Runtime's, LangChain4j's or extJWNL's (the engines behind the models can change); its
 * package states its nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  private static final ApiSurface ONNX = ApiSurface.of(OnnxEmbeddingModel.class);

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyTheJdkAndTheLibrarysApi() {
    assertThat(ONNX.packages()).containsExactly("dev.aigateway.embeddings.onnx");
    assertThat(
            ONNX.departures(
                NullMarked.class, ApiSurface.startingWith("java.").or(ApiSurface.libraryApi())))
        .isEmpty();
  }
}
