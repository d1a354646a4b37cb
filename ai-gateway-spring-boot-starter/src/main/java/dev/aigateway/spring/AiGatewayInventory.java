package dev.aigateway.spring;

import dev.aigateway.core.AiGateway;
import dev.aigateway.core.inventory.GatewayInventory;
import dev.aigateway.core.inventory.InventoryOptions;
import java.util.Objects;

/**
 * The gateway's inventory as a bean, for an application to serve (the starter has no Actuator, so
 * it adds no endpoint of its own). Each call reads the inventory afresh; thread-safe.
 *
 * <pre>{@code
 * @RestController
 * class InventoryController {
 *   private final AiGatewayInventory inventory;
 *
 *   InventoryController(AiGatewayInventory inventory) {
 *     this.inventory = inventory;
 *   }
 *
 *   @GetMapping(value = "/internal/ai-gateway", produces = "application/json")
 *   String inventory() {
 *     return inventory.json();
 *   }
 * }
 * }</pre>
 *
 * <p>Declare a bean of this type to read with other {@link InventoryOptions} (fewer consumers, no
 * usage); serve it behind the application's own authorization, as it names consumers and backends.
 */
public final class AiGatewayInventory {

  private final AiGateway gateway;
  private final InventoryOptions options;

  /**
   * An inventory of {@code gateway} read with {@code options}.
   *
   * @param gateway the gateway
   * @param options what each read includes
   */
  public AiGatewayInventory(AiGateway gateway, InventoryOptions options) {
    this.gateway = Objects.requireNonNull(gateway, "gateway");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** The inventory, read now. */
  public GatewayInventory read() {
    return gateway.inventory(options);
  }

  /** The inventory, read now, as its JSON document ({@code docs/inventory.md}). */
  public String json() {
    return read().toJson();
  }
}
