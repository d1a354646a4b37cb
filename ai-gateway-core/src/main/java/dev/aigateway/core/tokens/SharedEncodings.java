package dev.aigateway.core.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The process-wide jtokkit encodings. A vocabulary takes megabytes and tens of milliseconds to
 * load, so each one is loaded once, on first use, and shared by every {@link TokenCounter}.
 */
final class SharedEncodings {

  // The lazy registry loads an encoding on first request (computeIfAbsent, so at most once even
  // when threads race), instead of loading all vocabularies up front as the default registry does.
  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

  // Each text of a prompt is counted through here, so a loaded encoding is one array read away
  // rather than two map lookups in the registry.
  private static final AtomicReferenceArray<Encoding> LOADED =
      new AtomicReferenceArray<>(TokenEncoding.values().length);

  private SharedEncodings() {}

  static Encoding get(TokenEncoding encoding) {
    Encoding loaded = LOADED.get(encoding.ordinal());
    if (loaded == null) {
      loaded = REGISTRY.getEncoding(jtokkit(encoding));
      LOADED.set(encoding.ordinal(), loaded);
    }
    return loaded;
  }

  private static EncodingType jtokkit(TokenEncoding encoding) {
    return switch (encoding) {
      case O200K_BASE -> EncodingType.O200K_BASE;
      case CL100K_BASE -> EncodingType.CL100K_BASE;
      case P50K_BASE -> EncodingType.P50K_BASE;
      case P50K_EDIT -> EncodingType.P50K_EDIT;
      case R50K_BASE -> EncodingType.R50K_BASE;
    };
  }
}
