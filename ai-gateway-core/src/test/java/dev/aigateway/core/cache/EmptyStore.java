package dev.aigateway.core.cache;

import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** A response cache store that keeps nothing, with the call bound and body bound a test gives. */
final class EmptyStore implements ResponseCacheStore {

  private final @Nullable Duration callTimeout;
  private final int maximumBodyBytes;

  EmptyStore(@Nullable Duration callTimeout, int maximumBodyBytes) {
    this.callTimeout = callTimeout;
    this.maximumBodyBytes = maximumBodyBytes;
  }

  @Override
  public Optional<CachedResponse> get(String partition, String key) {
    return Optional.empty();
  }

  @Override
  public void put(String partition, String key, CachedResponse response) {}

  @Override
  public void remove(String partition, String key) {}

  @Override
  public @Nullable Duration callTimeout() {
    return callTimeout;
  }

  @Override
  public int maximumBodyBytes() {
    return maximumBodyBytes;
  }

  @Override
  public String toString() {
    return "EmptyStore";
  }
}
