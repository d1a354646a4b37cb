package dev.aigateway.redis;

/**
 * A Redis store could not do what it was asked: Redis was unreachable, did not answer within the
 * command timeout, or refused the command (for example when it is out of memory under a {@code
 * noeviction} policy). The message names the operation, the server's host and port and what went
 * wrong, never a password. For a token limit reservation it means nothing was charged; the gateway
 * admits such a call without a reservation and flags its event as a store failure.
 */
public final class RedisStoreException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  RedisStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
