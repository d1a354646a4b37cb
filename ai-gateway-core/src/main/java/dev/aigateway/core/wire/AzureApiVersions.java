package dev.aigateway.core.wire;

import dev.aigateway.api.BackendFlavor;
import org.jspecify.annotations.Nullable;

/**
 * What Azure OpenAI's dated API versions accept of what the gateway adds to a request. Azure
 * answers a streamed call that carries {@code stream_options} with a 400 ("Unrecognized request
 * argument") before api-version {@value #FIRST_WITH_STREAM_OPTIONS} (2024-10-21 is the first stable
 * one with it); its {@code /openai/v1} API, which takes no api-version, accepts it. Azure AI
 * Foundry's model inference API ({@code /models/chat/completions}) has no {@code stream_options} at
 * any version (2024-05-01-preview, 2025-04-01): it refuses a member it does not define with a 400
 * unless the caller sets {@code extra-parameters: pass-through}, which would pass the application's
 * own unknown members on as well.
 */
public final class AzureApiVersions {

  /** The first api-version (a preview) whose streamed calls accept {@code stream_options}. */
  public static final String FIRST_WITH_STREAM_OPTIONS = "2024-09-01";

  private static final String PARAMETER = "api-version=";

  private AzureApiVersions() {}

  /**
   * Whether a request to {@code url} may carry {@code stream_options}: false only when its query
   * names a dated {@code api-version} from before {@value #FIRST_WITH_STREAM_OPTIONS}.
   */
  public static boolean acceptsStreamOptions(@Nullable String url) {
    return acceptsStreamOptionsIn(of(url));
  }

  /**
   * Whether a request to {@code provider} (its {@code gen_ai.provider.name}, {@link
   * BackendFlavor#providerName}) at {@code apiVersion} may carry {@code stream_options}: never to
   * Azure AI Foundry's model inference API ({@code azure.ai.inference}), else as {@link
   * #acceptsStreamOptionsIn} judges the version (null: none named).
   */
  public static boolean acceptsStreamOptions(String provider, @Nullable String apiVersion) {
    return !BackendFlavor.AZURE_AI_INFERENCE.providerName().equals(provider)
        && acceptsStreamOptionsIn(apiVersion);
  }

  /**
   * The {@code api-version} query parameter of {@code url} as written (the first, when the query
   * names it more than once), or null when the url has none. Only Azure's APIs take it.
   */
  public static @Nullable String of(@Nullable String url) {
    if (url == null) {
      return null;
    }
    int query = url.indexOf('?');
    if (query < 0) {
      return null;
    }
    int at = url.indexOf(PARAMETER, query);
    while (at > 0 && url.charAt(at - 1) != '?' && url.charAt(at - 1) != '&') {
      at = url.indexOf(PARAMETER, at + 1); // part of another parameter's name
    }
    if (at < 0) {
      return null;
    }
    int start = at + PARAMETER.length();
    int end = url.indexOf('&', start);
    int fragment = url.indexOf('#', start);
    if (fragment >= 0 && (end < 0 || fragment < end)) {
      end = fragment;
    }
    return url.substring(start, end < 0 ? url.length() : end);
  }

  /**
   * Whether an Azure OpenAI api-version accepts {@code stream_options}: false only for a dated
   * version ({@code yyyy-MM-dd}, with or without a suffix such as {@code -preview}) before {@value
   * #FIRST_WITH_STREAM_OPTIONS}; any other text (a future naming, {@code latest}) is taken to.
   */
  public static boolean acceptsStreamOptionsIn(@Nullable String apiVersion) {
    if (apiVersion == null || !isDate(apiVersion)) {
      return true;
    }
    return apiVersion
            .substring(0, FIRST_WITH_STREAM_OPTIONS.length())
            .compareTo(FIRST_WITH_STREAM_OPTIONS)
        >= 0;
  }

  /** Whether the text starts with {@code yyyy-MM-dd}. */
  private static boolean isDate(String text) {
    if (text.length() < 10) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      char c = text.charAt(i);
      boolean ok = i == 4 || i == 7 ? c == '-' : c >= '0' && c <= '9';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
