package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.spi.ResponseCacheStore;
import org.junit.jupiter.api.Test;

/** How long a body a call keeps a copy of: the lower of the cache's bound and its store's. */
class ResponseCacheBoundTest {

  /** A store that finds nothing and states {@code bound} as its longest body. */
  private static ResponseCacheStore boundedAt(int bound) {
    return new EmptyStore(null, bound);
  }

  @Test
  void aCallKeepsACopyUpToTheLowerOfTheCachesBoundAndItsStores() {
    assertThat(ResponseCache.builder().build().keptBodyBytes())
        .isEqualTo(ResponseCache.DEFAULT_MAXIMUM_ENTRY_BYTES);
    ResponseCache storeLower = ResponseCache.builder().store(boundedAt(16 * 1024)).build();
    assertThat(storeLower.keptBodyBytes()).isEqualTo(16 * 1024);
    assertThat(storeLower.maximumEntryBytes()).isEqualTo(ResponseCache.DEFAULT_MAXIMUM_ENTRY_BYTES);
    assertThat(
            ResponseCache.builder()
                .store(boundedAt(16 * 1024))
                .maximumEntryBytes(4096)
                .build()
                .keptBodyBytes())
        .isEqualTo(4096);
    assertThat(ResponseCache.builder().store(boundedAt(0)).build().keptBodyBytes()).isZero();
  }

  @Test
  void aStoreStatingANegativeBoundFailsTheBuildNamingIt() {
    assertThatThrownBy(() -> ResponseCache.builder().store(boundedAt(-1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the response cache store EmptyStore states a negative maximumBodyBytes: -1");
  }
}
