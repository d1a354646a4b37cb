package dev.aigateway.api.spi;

import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Keeps cached backend answers by (partition, key). Used by the exact cache, and by the semantic
 * cache to hold the answers its vectors point to.
 *
 * <p>The <em>partition</em> is the vary-by value (a consumer, a tenant, ...) and the <em>key</em> a
 * digest of the request's answer-determining parts; an entry is only ever found under the partition
 * it was stored in, so one tenant never sees another's answers.
 *
 * <p>Guarantees every implementation must give (the in-memory default is the reference, and the
 * suite {@code dev.aigateway.store.tck.ResponseCacheStoreContract} in {@code ai-gateway-store-tck}
 * checks them):
 *
 * <ul>
 *   <li>{@link #get} returns what the latest {@link #put} stored under the same partition and key,
 *       byte for byte, until it expires, is evicted or removed; never another partition's entry.
 *   <li>Entries expire after the store's time to live and the store stays within its bound;
 *       evicting is always allowed (a cache may forget).
 *   <li>Thread-safe; no method blocks on another call's backend.
 *   <li>Failures surface as runtime exceptions; the gateway then treats the call as a miss (or
 *       skips storing) and the application's call goes on.
 * </ul>
 */
public interface ResponseCacheStore {

  /** The entry stored under {@code key} in {@code partition}, if it is still there. */
  Optional<CachedResponse> get(String partition, String key);

  /** Stores (or replaces) the entry under {@code key} in {@code partition}. */
  void put(String partition, String key, CachedResponse response);

  /** Forgets the entry, if present. */
  void remove(String partition, String key);

  /**
   * The longest answer body this store keeps, in bytes: it never stores an answer whose body is
   * longer (it may refuse some shorter ones too, when its bound counts the whole entry, partition
   * and key included). {@link Integer#MAX_VALUE}, the default, when the store has no bound of its
   * own.
   *
   * <p>The gateway keeps a copy of an answer as it passes to the application, to store it once it
   * has ended, and stops keeping it once the answer is longer than this or than the cache's own
   * bound ({@code ResponseCache.Builder.maximumEntryBytes}), whichever is lower: an answer the
   * store would refuse costs no copy.
   *
   * @return the bound, at least 0
   */
  default int maximumBodyBytes() {
    return Integer.MAX_VALUE;
  }

  /**
   * The longest any call of this store can take, when it enforces that bound itself (for example
   * with a client-side command or call timeout) and throws once it passes; {@code null}, the
   * default, when it does not.
   *
   * <p>The gateway must not let the response cache hold a call past the cache's timeout ({@code
   * ResponseCache.Builder.timeout}). A store that bounds its own calls within that timeout is
   * called on the calling thread; any other (but the built-in in-memory one) is called on threads
   * of the cache's own, which costs a thread hand-off per call, and a lookup waits for it at most
   * the cache's timeout.
   *
   * <p>A store held in process that waits on nothing outside it (no network, no file, no lock
   * another party may hold) returns {@link Duration#ZERO}: it is called on the calling thread
   * whatever the cache's timeout, and what it stores is there when the call's event is sent.
   *
   * @return the bound, positive; {@link Duration#ZERO} for a store held in process that never
   *     waits; or null when the store does not bound its calls
   */
  default @Nullable Duration callTimeout() {
    return null;
  }
}
