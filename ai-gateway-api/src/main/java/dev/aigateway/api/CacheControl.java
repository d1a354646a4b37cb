package dev.aigateway.api;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A call's own instructions to the response cache, like HTTP's {@code Cache-Control} request
 * directives: {@code no-cache} (do not answer from the cache; the answer may still be stored) and
 * {@code no-store} (do not store this call's answer; a cached answer may still be served).
 *
 * <p>Give it per call as a request tag ({@code request.newBuilder().tag(CacheControl.class,
 * CacheControl.NO_STORE)} with OkHttp) or as the gateway's cache-control request header ({@code
 * x-ai-gateway-cache-control: no-cache, no-store} by default; the header never leaves the process).
 * When both are present, their directives add up.
 */
public final class CacheControl {

  /** Look up and store as configured. */
  public static final CacheControl DEFAULT = new CacheControl(false, false);

  /** Do not answer from the cache; the backend's answer may be stored. */
  public static final CacheControl NO_CACHE = new CacheControl(true, false);

  /** Do not store this call's answer; a cached answer may be served. */
  public static final CacheControl NO_STORE = new CacheControl(false, true);

  /** Neither look up nor store: the cache is not involved at all. */
  public static final CacheControl NO_CACHE_NO_STORE = new CacheControl(true, true);

  private final boolean noCache;
  private final boolean noStore;

  private CacheControl(boolean noCache, boolean noStore) {
    this.noCache = noCache;
    this.noStore = noStore;
  }

  /** The control with the given directives. */
  public static CacheControl of(boolean noCache, boolean noStore) {
    return noCache ? (noStore ? NO_CACHE_NO_STORE : NO_CACHE) : (noStore ? NO_STORE : DEFAULT);
  }

  /**
   * Reads a header value: comma-separated directives, case-insensitive; {@code no-cache} and {@code
   * no-store} count, others (such as {@code max-age=0}) are ignored. Null reads as {@link
   * #DEFAULT}.
   */
  public static CacheControl parse(@Nullable String header) {
    if (header == null || header.isBlank()) {
      return DEFAULT;
    }
    boolean noCache = false;
    boolean noStore = false;
    for (String part : header.split(",")) {
      String directive = part.trim().toLowerCase(Locale.ROOT);
      if (directive.equals("no-cache")) {
        noCache = true;
      } else if (directive.equals("no-store")) {
        noStore = true;
      }
    }
    return of(noCache, noStore);
  }

  /** Both controls' directives together. */
  public CacheControl and(@Nullable CacheControl other) {
    return other == null ? this : of(noCache || other.noCache, noStore || other.noStore);
  }

  /** Whether the cache must not answer this call. */
  public boolean noCache() {
    return noCache;
  }

  /** Whether the cache must not store this call's answer. */
  public boolean noStore() {
    return noStore;
  }

  @Override
  public String toString() {
    if (!noCache && !noStore) {
      return "CacheControl[default]";
    }
    return "CacheControl["
        + (noCache ? "no-cache" : "")
        + (noCache && noStore ? ", " : "")
        + (noStore ? "no-store" : "")
        + "]";
  }
}
