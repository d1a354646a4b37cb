package dev.aigateway.core.wire;

import dev.aigateway.api.BackendFlavor;
import org.jspecify.annotations.Nullable;

/**
 * A format whose calls name their model in the URL path, never in the body, and whose providers
 * report stream usage unasked (Bedrock's, Gemini's, Claude on Vertex AI's): a call is rewritten for
 * a backend by its URL alone ({@link #backendUrl}), and its body goes out as the application wrote
 * it.
 */
interface ModelInPath extends WireFormat {

  /** Never: the model is in the path, for every flavour. */
  @Override
  default boolean modelInBody(BackendFlavor flavor) {
    return false;
  }

  /** Nothing to rewrite: the model is in the URL and usage is always reported. */
  @Override
  default byte @Nullable [] bodyForBackend(
      WireRequest request, @Nullable String model, boolean askStreamUsage) {
    return null;
  }
}
