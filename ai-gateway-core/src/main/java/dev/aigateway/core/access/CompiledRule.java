package dev.aigateway.core.access;

import dev.aigateway.api.AccessCheck;
import dev.aigateway.api.AccessInfo;
import dev.aigateway.api.Operation;
import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.wire.WireRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One {@link AccessRule} compiled against the gateway's backend pool: patterns compiled, operations
 * as a bit mask, backends resolved to the pool's. Checking a call allocates nothing.
 */
final class CompiledRule {

  final AccessRule rule;

  /** What the event says when this rule allows a call (made once: allowing allocates nothing). */
  final AccessInfo allowed;

  private final boolean forRole;
  private final ModelPattern[] models;
  private final int operations;
  private final boolean streaming;
  private final long maxOutputTokens;

  /** The allowed backends of the pool; null when the rule does not restrict them. */
  private final Backend @Nullable [] backends;

  /** The allowed backends' ids, for routing; null when unrestricted. */
  final @Nullable Predicate<String> backendFilter;

  CompiledRule(AccessRule rule, @Nullable BackendPool pool) {
    this.rule = rule;
    this.allowed = new AccessInfo(AccessInfo.Decision.ALLOWED, rule.name(), null);
    this.forRole = rule.subject() == AccessRule.Subject.ROLE;
    this.models = rule.models().stream().map(ModelPattern::compile).toArray(ModelPattern[]::new);
    int mask = 0;
    for (Operation operation : rule.operations()) {
      mask |= 1 << operation.ordinal();
    }
    this.operations = mask;
    this.streaming = rule.streaming();
    this.maxOutputTokens = rule.maxOutputTokens().orElse(-1);
    Set<String> names = rule.backends();
    if (names.isEmpty()) {
      this.backends = null;
      this.backendFilter = null;
    } else if (pool == null) {
      throw new IllegalArgumentException(
          "access rule '"
              + rule.name()
              + "' allows only the backends "
              + names
              + ", but the gateway has no backend pool: set one (AiGateway.Builder.backendPool)"
              + " or remove backends(..) from the rule");
    } else if (names.contains(pool.name())) {
      this.backends = null; // the whole pool
      this.backendFilter = null;
    } else {
      List<Backend> allowed = new ArrayList<>();
      List<String> ids = new ArrayList<>();
      for (Backend backend : pool.backends()) {
        ids.add(backend.id());
        if (names.contains(backend.id())) {
          allowed.add(backend);
        }
      }
      for (String name : names) {
        if (!ids.contains(name)) {
          throw new IllegalArgumentException(
              "access rule '"
                  + rule.name()
                  + "' allows the backend '"
                  + name
                  + "', which is neither the pool '"
                  + pool.name()
                  + "' nor one of its backends "
                  + ids);
        }
      }
      this.backends = allowed.toArray(Backend[]::new);
      Set<String> allowedIds = Set.copyOf(names);
      this.backendFilter = allowedIds::contains;
    }
  }

  /** Whether the rule is for this caller: its consumer id, or one of its roles. */
  boolean appliesTo(String consumer, Set<String> roles) {
    return forRole ? roles.contains(rule.subjectId()) : rule.subjectId().equals(consumer);
  }

  /**
   * The first check the call fails, in {@link AccessCheck}'s order; null when the rule allows it.
   *
   * @param outputAllowance the call's own output bound × choices, or -1 when it sets none
   */
  @Nullable AccessCheck check(WireRequest request, long outputAllowance) {
    Operation operation = request.operation();
    if ((operations & (1 << operation.ordinal())) == 0) {
      return AccessCheck.OPERATION;
    }
    String model = request.model();
    if (models.length > 0 && (!anyModelMatches(model) || !deploymentMatches(request, model))) {
      return AccessCheck.MODEL;
    }
    if (!streaming && request.stream()) {
      return AccessCheck.STREAM;
    }
    if (backends != null && !anyBackendServes(model)) {
      return AccessCheck.BACKEND;
    }
    if (maxOutputTokens >= 0
        && operation != Operation.EMBEDDINGS
        && (outputAllowance < 0 || outputAllowance > maxOutputTokens)) {
      return AccessCheck.OUTPUT_ALLOWANCE;
    }
    return null;
  }

  private boolean anyModelMatches(@Nullable String model) {
    for (ModelPattern pattern : models) {
      if (pattern.matches(model)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the Azure deployment the path names, which Azure OpenAI serves whatever model the body
   * names, is allowed too; true when the path names none, or the same as the body.
   */
  private boolean deploymentMatches(WireRequest request, @Nullable String model) {
    String deployment = request.deployment();
    return deployment == null || deployment.equals(model) || anyModelMatches(deployment);
  }

  private boolean anyBackendServes(@Nullable String model) {
    for (Backend backend : backends) {
      if (backend.serves(model)) {
        return true;
      }
    }
    return false;
  }

  /** What the failed check found, in words, for the 403's message. Never a credential. */
  String explain(AccessCheck check, WireRequest request, long outputAllowance) {
    return switch (check) {
      case OPERATION ->
          "the operation '"
              + request.operation().conventionName()
              + "' is not among the allowed "
              + rule.operations().stream().map(Operation::conventionName).toList();
      case MODEL ->
          request.model() == null
              ? "the call names no model, and only models matching "
                  + rule.models()
                  + " are allowed"
              : anyModelMatches(request.model())
                  ? "the deployment '"
                      + request.deployment()
                      + "' in the path matches none of "
                      + rule.models()
                  : "the model '" + request.model() + "' matches none of " + rule.models();
      case STREAM -> "streaming is not allowed; send the call with \"stream\": false";
      case BACKEND ->
          "none of the allowed backends "
              + rule.backends()
              + " serves the model '"
              + request.model()
              + "'";
      case OUTPUT_ALLOWANCE ->
          outputAllowance < 0
              ? "the call sets no output bound, and at most "
                  + maxOutputTokens
                  + " output tokens per call are allowed; set max_tokens (× n) to at most "
                  + maxOutputTokens
              : "the call may produce "
                  + outputAllowance
                  + " output tokens (max_tokens × n), above the allowed "
                  + maxOutputTokens;
      case NO_RULE -> "no access rule applies, and the policy denies by default";
    };
  }
}
