package dev.aigateway.core.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * The process-wide jtokkit encodings. A vocabulary takes megabytes and tens of milliseconds to
 * load, so each one is loaded once, on first use, and shared by every {@link TokenCounter}.
 */
final class SharedEncodings {

  // The lazy registry loads an encoding on first request (computeIfAbsent, so at most once even
  // when threads race), instead of loading all vocabularies up front as the default registry does.
  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

  private SharedEncodings() {}

  static Encoding get(EncodingType type) {
    return REGISTRY.getEncoding(type);
  }
}
