package dev.aigateway.api.spi;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the semantic cache's prompt vectors, partitioned, and finds the nearest ones.
 *
 * <p>Vectors given to a store are unit length (the gateway normalises them), so cosine similarity
 * is their dot product. Every vector in one partition has the same length.
 *
 * <p>Guarantees every implementation must give (the in-memory default is the reference, and the
 * suite {@code dev.aigateway.store.tck.VectorStoreContract} in {@code ai-gateway-store-tck} checks
 * them):
 *
 * <ul>
 *   <li>{@link #nearest} only returns entries of the given partition, best first, each with a score
 *       of at least {@code minScore}; an exact store returns the true nearest entries, an
 *       approximate one may miss some but never invents a score.
 *   <li>Entries expire after the store's time to live and the store stays within its size bound
 *       (evicting the oldest writes first); a removed or expired entry is never returned.
 *   <li>{@link #add} with an id already present replaces that entry.
 *   <li>{@link #add} and {@link #nearest} refuse a vector with a NaN or infinite component ({@link
 *       IllegalArgumentException}): its score against any entry is no number, and an entry so
 *       stored would come first whatever the minimum score.
 *   <li>Thread-safe: adds, removes and searches may run concurrently.
 * </ul>
 */
public interface VectorStore {

  /**
   * Adds (or replaces) an entry.
   *
   * @param partition the vector space to search in later (vary-by value, model, context)
   * @param id the entry's id, unique within the partition
   * @param vector a unit-length vector; the store may keep the array, so callers must not modify it
   *     afterwards
   * @param text the text the vector stands for
   */
  void add(String partition, String id, float[] vector, String text);

  /**
   * Up to {@code limit} entries of {@code partition} nearest to {@code vector} with a cosine
   * similarity of at least {@code minScore}, best first; empty when none qualifies.
   */
  List<VectorMatch> nearest(String partition, float[] vector, int limit, double minScore);

  /** Forgets an entry, if present. */
  void remove(String partition, String id);

  /** How many live entries the store holds over all partitions (expired ones may still count). */
  long size();

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
