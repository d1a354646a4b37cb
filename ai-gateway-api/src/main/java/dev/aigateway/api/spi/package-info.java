/**
 * Service-provider interfaces: implement these to move the gateway's shared state (token
 * counters) out of the JVM, for example into Redis. Each interface states what it guarantees;
 * the in-memory defaults in {@code ai-gateway-core} are the reference behaviour.
 */
package dev.aigateway.api.spi;
