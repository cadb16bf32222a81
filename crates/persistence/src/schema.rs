//! The database schema, written by hand to match both migration trees
//! (`migrations/sqlite`, `migrations/postgres`); the migration parity test
//! fails when this file, or either tree, disagrees with the others.

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    organizations (id) {
        id -> DbUuid,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<DbUuid>,
        region -> Nullable<Text>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    users (id) {
        id -> DbUuid,
        email -> Text,
        display_name -> Text,
        organization_id -> Nullable<DbUuid>,
        position -> Nullable<Text>,
        locale -> Text,
        time_zone -> Text,
        system_role -> Text,
        active -> Bool,
        password_hash -> Text,
        password_changed_at -> Instant,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        password_state -> Text,
        service -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    api_keys (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        user_id -> DbUuid,
        name -> Text,
        secret_hash -> Text,
        created_by -> Nullable<DbUuid>,
        created_at -> Instant,
        last_used_at -> Nullable<Instant>,
        revoked_at -> Nullable<Instant>,
        scopes -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    account_tokens (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        purpose -> Text,
        token_hash -> Text,
        issued_by -> Nullable<DbUuid>,
        created_at -> Instant,
        expires_at -> Instant,
        used_at -> Nullable<Instant>,
        withdrawn -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    programs (id) {
        id -> DbUuid,
        code -> Text,
        title -> Text,
        theme -> Nullable<Text>,
        funder -> Nullable<Text>,
        partners -> Text,
        location -> Nullable<Text>,
        training_starts_on -> Date,
        training_ends_on -> Date,
        follow_up_until -> Date,
        check_in_cadence_days -> Integer,
        status -> Text,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        status_set -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    memberships (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        user_id -> DbUuid,
        role -> Text,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    mentorships (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        mentor_id -> DbUuid,
        delegate_id -> DbUuid,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    action_plans (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        owner_id -> DbUuid,
        title -> Text,
        problem_statement -> Nullable<Text>,
        goal -> Nullable<Text>,
        target_group -> Nullable<Text>,
        location -> Nullable<Text>,
        starts_on -> Date,
        ends_on -> Date,
        status -> Text,
        status_reason -> Nullable<Text>,
        submitted_at -> Nullable<Instant>,
        approved_at -> Nullable<Instant>,
        closed_at -> Nullable<Instant>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        original_ends_on -> Nullable<Date>,
        original_goal -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    activities (id) {
        id -> DbUuid,
        plan_id -> DbUuid,
        title -> Text,
        description -> Nullable<Text>,
        starts_on -> Nullable<Date>,
        due_on -> Nullable<Date>,
        status -> Text,
        completed_on -> Nullable<Date>,
        position -> Integer,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    indicators (id) {
        id -> DbUuid,
        plan_id -> DbUuid,
        name -> Text,
        unit -> Nullable<Text>,
        baseline -> Double,
        target -> Double,
        direction -> Text,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        original_baseline -> Nullable<Double>,
        original_target -> Nullable<Double>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    measurements (id) {
        id -> DbUuid,
        indicator_id -> DbUuid,
        value -> Double,
        measured_on -> Date,
        note -> Nullable<Text>,
        evidence -> Text,
        recorded_by -> DbUuid,
        created_at -> Instant,
        version -> BigInt,
        updated_at -> Instant,
        withdrawn_at -> Nullable<Instant>,
        withdrawn_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    measurement_versions (measurement_id, version) {
        measurement_id -> DbUuid,
        version -> BigInt,
        value -> Double,
        measured_on -> Date,
        note -> Nullable<Text>,
        evidence -> Text,
        updated_at -> Instant,
        replaced_at -> Instant,
        replaced_by -> Nullable<DbUuid>,
        reason -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    check_ins (id) {
        id -> DbUuid,
        plan_id -> DbUuid,
        author_id -> DbUuid,
        reported_on -> Date,
        summary -> Text,
        progress -> Text,
        confidence -> Integer,
        achievements -> Nullable<Text>,
        challenges -> Nullable<Text>,
        support_needed -> Nullable<Text>,
        next_steps -> Nullable<Text>,
        evidence -> Text,
        review_status -> Text,
        review_note -> Nullable<Text>,
        reviewer_id -> Nullable<DbUuid>,
        reviewed_at -> Nullable<Instant>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    comments (id) {
        id -> DbUuid,
        plan_id -> DbUuid,
        target_type -> Nullable<Text>,
        target_id -> Nullable<DbUuid>,
        author_id -> DbUuid,
        body -> Text,
        visibility -> Text,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    audit_events (id) {
        id -> DbUuid,
        occurred_at -> Instant,
        actor_id -> Nullable<DbUuid>,
        entity_type -> Text,
        entity_id -> DbUuid,
        program_id -> Nullable<DbUuid>,
        plan_id -> Nullable<DbUuid>,
        action -> Text,
        changes -> Text,
        reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    sessions (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        created_at -> Instant,
        last_used_at -> Instant,
        expires_at -> Instant,
        revoked_at -> Nullable<Instant>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    refresh_tokens (id) {
        id -> DbUuid,
        session_id -> DbUuid,
        token_hash -> Text,
        issued_at -> Instant,
        expires_at -> Instant,
        rotated_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    idempotency_keys (user_id, idempotency_key) {
        user_id -> DbUuid,
        idempotency_key -> Text,
        request_method -> Text,
        request_path -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Instant,
        expires_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    changes (seq) {
        seq -> BigInt,
        entity_type -> Text,
        entity_id -> DbUuid,
        program_id -> DbUuid,
        plan_id -> Nullable<DbUuid>,
        owner_id -> Nullable<DbUuid>,
        plan_status -> Nullable<Text>,
        restricted -> Bool,
        audience_id -> Nullable<DbUuid>,
        op -> Text,
        version -> BigInt,
        changed_at -> Instant,
        xid -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    sync_counter (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    server_settings (name) {
        name -> Text,
        value -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    check_in_versions (check_in_id, version) {
        check_in_id -> DbUuid,
        version -> BigInt,
        reported_on -> Date,
        summary -> Text,
        progress -> Text,
        confidence -> Integer,
        achievements -> Nullable<Text>,
        challenges -> Nullable<Text>,
        support_needed -> Nullable<Text>,
        next_steps -> Nullable<Text>,
        evidence -> Text,
        review_status -> Text,
        review_note -> Nullable<Text>,
        reviewer_id -> Nullable<DbUuid>,
        reviewed_at -> Nullable<Instant>,
        updated_at -> Instant,
        replaced_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    notification_settings (user_id) {
        user_id -> DbUuid,
        check_in_due -> Bool,
        activity_overdue -> Bool,
        weekly_digest -> Bool,
        version -> BigInt,
        updated_at -> Instant,
        survey_due -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    mail_messages (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Instant>,
        locked_until -> Nullable<Instant>,
        last_error -> Nullable<Text>,
        created_at -> Instant,
        sent_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    notices (kind, program_id, subject_id, on_date) {
        kind -> Text,
        program_id -> DbUuid,
        subject_id -> DbUuid,
        on_date -> Date,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    outbox_events (id) {
        id -> DbUuid,
        occurred_at -> Instant,
        program_id -> DbUuid,
        event_type -> Text,
        audience -> Text,
        data -> Text,
        dispatched_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    webhooks (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        url -> Text,
        description -> Nullable<Text>,
        event_types -> Text,
        secret -> Text,
        enabled -> Bool,
        disabled_at -> Nullable<Instant>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Instant>,
        version -> BigInt,
        created_by -> Nullable<DbUuid>,
        created_at -> Instant,
        updated_at -> Instant,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    webhook_deliveries (id) {
        id -> DbUuid,
        webhook_id -> DbUuid,
        event_id -> DbUuid,
        event_type -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Instant>,
        locked_until -> Nullable<Instant>,
        created_at -> Instant,
        delivered_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    webhook_attempts (id) {
        id -> DbUuid,
        delivery_id -> DbUuid,
        attempted_at -> Instant,
        response_status -> Nullable<Integer>,
        response_ms -> BigInt,
        error -> Nullable<Text>,
        response_body -> Nullable<Text>,
    }
}

diesel::joinable!(check_in_versions -> check_ins (check_in_id));
diesel::joinable!(measurement_versions -> measurements (measurement_id));
diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(memberships -> programs (program_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(mentorships -> programs (program_id));
diesel::joinable!(mentorships -> users (mentor_id));
diesel::joinable!(action_plans -> programs (program_id));
diesel::joinable!(action_plans -> users (owner_id));
diesel::joinable!(activities -> action_plans (plan_id));
diesel::joinable!(indicators -> action_plans (plan_id));
diesel::joinable!(measurements -> indicators (indicator_id));
diesel::joinable!(measurements -> users (recorded_by));
diesel::joinable!(check_ins -> action_plans (plan_id));
diesel::joinable!(check_ins -> users (author_id));
diesel::joinable!(comments -> action_plans (plan_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(audit_events -> users (actor_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(api_keys -> programs (program_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(outbox_events -> programs (program_id));
diesel::joinable!(notices -> programs (program_id));
diesel::joinable!(notification_settings -> users (user_id));
diesel::joinable!(mail_messages -> users (user_id));
diesel::joinable!(webhooks -> programs (program_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(webhook_deliveries -> outbox_events (event_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(idempotency_keys -> users (user_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    attachments (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        plan_id -> DbUuid,
        parent_type -> Text,
        parent_id -> DbUuid,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        storage_key -> Text,
        uploaded_by -> Nullable<DbUuid>,
        created_at -> Instant,
        version -> BigInt,
        preview_key -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    uploads (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        parent_type -> Text,
        parent_id -> DbUuid,
        file_name -> Text,
        upload_length -> BigInt,
        upload_offset -> BigInt,
        created_at -> Instant,
        expires_at -> Instant,
    }
}

diesel::joinable!(uploads -> users (user_id));
diesel::joinable!(attachments -> programs (program_id));
diesel::joinable!(attachments -> action_plans (plan_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    change_requests (id) {
        id -> DbUuid,
        plan_id -> DbUuid,
        program_id -> DbUuid,
        requested_by -> Nullable<DbUuid>,
        reason -> Text,
        changes -> Text,
        status -> Text,
        plan_version -> BigInt,
        decided_by -> Nullable<DbUuid>,
        decided_at -> Nullable<Instant>,
        decision_note -> Nullable<Text>,
        created_at -> Instant,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    survey_rounds (id) {
        id -> DbUuid,
        program_id -> DbUuid,
        title -> Text,
        days_after_training -> Integer,
        open_days -> Integer,
        questions -> Text,
        observers_see_text -> Bool,
        created_by -> Nullable<DbUuid>,
        created_at -> Instant,
        updated_at -> Instant,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{DbUuid, Instant};

    survey_responses (id) {
        id -> DbUuid,
        round_id -> DbUuid,
        program_id -> DbUuid,
        respondent_id -> DbUuid,
        answers -> Text,
        submitted_at -> Instant,
        updated_at -> Instant,
        version -> BigInt,
    }
}

diesel::joinable!(survey_responses -> survey_rounds (round_id));
diesel::joinable!(survey_rounds -> programs (program_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    programs,
    memberships,
    mentorships,
    action_plans,
    activities,
    indicators,
    measurements,
    measurement_versions,
    check_ins,
    check_in_versions,
    comments,
    audit_events,
    sessions,
    refresh_tokens,
    account_tokens,
    api_keys,
    notification_settings,
    mail_messages,
    notices,
    outbox_events,
    webhooks,
    webhook_deliveries,
    webhook_attempts,
    idempotency_keys,
    changes,
    sync_counter,
    server_settings,
    attachments,
    uploads,
    change_requests,
    survey_rounds,
    survey_responses,
);
