package dev.aigateway.core.inventory;

import org.jspecify.annotations.Nullable;

/**
 * A top-level section of the gateway's inventory contributed by a part of the gateway the built-in
 * sections do not cover (the MCP servers it governs, the A2A agents): see the package documentation
 * for how it is registered and what its value may hold. Implementations must be thread-safe: the
 * inventory may be read while calls run, from any thread.
 */
public interface InventorySection {

  /**
   * The section's top-level key in the document, for example {@link GatewayInventory#MCP_SERVERS};
   * not one of the built-in keys ({@link GatewayInventory#BUILT_IN_KEYS}). Read when the section is
   * added and again for each document; should it then be null, fail, be built-in or be taken by an
   * earlier section, the section is listed as failed under its type's name.
   */
  String key();

  /**
   * The section's value, read now: records, maps, lists, strings, numbers, booleans, enums,
   * instants, durations or null, nested up to 64 levels and never inside itself (a value that
   * cannot be written fails this section alone). Never secrets.
   *
   * @param options what the caller asked for (for example how many consumers at most)
   */
  @Nullable Object read(InventoryOptions options);
}
