/**
 * The pipeline's stage contract: a {@link dev.aigateway.core.pipeline.CallStage} per stage and
 * call, the {@link dev.aigateway.core.pipeline.Exchange} the stages of one call share, and what the
 * stages answer with: an {@link dev.aigateway.core.pipeline.Admission} (a {@link
 * dev.aigateway.core.pipeline.Rejection}, a cached answer) and each attempt's {@link
 * dev.aigateway.core.pipeline.AttemptPlan}. It names none of the stages, nor the orchestrator
 * ({@code core.adapter}) that drives them. Internal to the library: public only so that each stage
 * can live in its own package, and client adapters read a rejection and an attempt's plan.
 */
package dev.aigateway.core.pipeline;
