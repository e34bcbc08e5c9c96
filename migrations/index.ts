// Static migration provider: every migration, in order. Timestamped; never edited once landed.
import type { Migration } from 'kysely/migration'
import * as foundation from './20261122T1400_foundation.ts'
import * as calendarClocks from './20261122T1650_calendar_clocks.ts'
import * as frontDoor from './20261122T1700_front_door.ts'
import * as encompassMissing from './20261122T1800_encompass_missing.ts'
import * as personSearch from './20261122T1900_person_search.ts'
import * as riskSignals from './20261122T2000_risk_signals.ts'
import * as agencyRecords from './20261128T2100_agency_records.ts'
import * as teamAroundTheChild from './20261129T0100_team_around_the_child.ts'
import * as visitOutcomes from './20261129T0215_visit_outcomes.ts'
import * as maceDecision from './20261129T0216_mace_decision.ts'
import * as partnershipSettingVersion from './20261129T0300_partnership_setting_version.ts'
import * as sharingDecisions from './20261129T0400_sharing_decisions.ts'
import * as informationRequests from './20261129T0410_information_requests.ts'
import * as breakGlass from './20261129T0420_break_glass.ts'
import * as approvals from './20261129T0430_approvals.ts'
import * as apiReliability from './20261129T0500_api_reliability.ts'
import * as subjectAccess from './20261129T0600_subject_access.ts'
import * as retention from './20261129T0610_retention.ts'
import * as fileTransfer from './20261129T0620_file_transfer.ts'
import * as passkeys from './20261129T0630_passkeys.ts'
import * as sessionSecondFactor from './20261129T0640_session_second_factor.ts'
import * as retentionAllRecords from './20261129T0700_retention_all_records.ts'
import * as bulkExport from './20261129T0710_bulk_export.ts'
import * as fileTransferWithdrawal from './20261129T0720_file_transfer_withdrawal.ts'
import * as sharingDecisionGuard from './20261129T0730_sharing_decision_guard.ts'
import * as breakGlassRunningIndex from './20261129T0940_break_glass_running_index.ts'
import * as entryChildOrder from './20261129T2000_entry_child_order.ts'
import * as signalRules from './20261129T2300_signal_rules.ts'
import * as recordBlocking from './20261129T2310_record_blocking.ts'
import * as idempotencyPerPractitioner from './20261129T2340_idempotency_per_practitioner.ts'
import * as encompassWithoutSchool from './20261130T0200_encompass_without_school.ts'
import * as mergedChild from './20261130T1100_merged_child.ts'
import * as correctionsFollow from './20261130T1110_corrections_follow.ts'
import * as concernRoutedTo from './20261130T1800_concern_routed_to.ts'
import * as signalsFollow from './20261130T1830_signals_follow.ts'
import * as assessmentClosedWithTeam from './20261130T1840_assessment_closed_with_team.ts'
import * as sharingDecisionConcern from './20261130T2110_sharing_decision_concern.ts'
import * as signalsStranded from './20261130T2120_signals_stranded.ts'
import * as secondFactorLockout from './20261130T2130_second_factor_lockout.ts'
import * as concernRoutedVia from './20261201T0501_concern_routed_via.ts'
import * as meetingNotHeldMemberVersion from './20261201T0502_meeting_not_held_member_version.ts'
import * as signalRecheck from './20261202T0200_signal_recheck.ts'
import * as auditTxid from './20261202T1300_audit_txid.ts'
import * as passwordChange from './20261202T1310_password_change.ts'
import * as idempotencyReplay from './20261202T1700_idempotency_replay.ts'

export const migrations: Record<string, Migration> = {
  '20261122T1400_foundation': foundation,
  '20261122T1650_calendar_clocks': calendarClocks,
  '20261122T1700_front_door': frontDoor,
  '20261122T1800_encompass_missing': encompassMissing,
  '20261122T1900_person_search': personSearch,
  '20261122T2000_risk_signals': riskSignals,
  '20261128T2100_agency_records': agencyRecords,
  '20261129T0100_team_around_the_child': teamAroundTheChild,
  '20261129T0215_visit_outcomes': visitOutcomes,
  '20261129T0216_mace_decision': maceDecision,
  '20261129T0300_partnership_setting_version': partnershipSettingVersion,
  '20261129T0400_sharing_decisions': sharingDecisions,
  '20261129T0410_information_requests': informationRequests,
  '20261129T0420_break_glass': breakGlass,
  '20261129T0430_approvals': approvals,
  '20261129T0500_api_reliability': apiReliability,
  '20261129T0600_subject_access': subjectAccess,
  '20261129T0610_retention': retention,
  '20261129T0620_file_transfer': fileTransfer,
  '20261129T0630_passkeys': passkeys,
  '20261129T0640_session_second_factor': sessionSecondFactor,
  '20261129T0700_retention_all_records': retentionAllRecords,
  '20261129T0710_bulk_export': bulkExport,
  '20261129T0720_file_transfer_withdrawal': fileTransferWithdrawal,
  '20261129T0730_sharing_decision_guard': sharingDecisionGuard,
  '20261129T0940_break_glass_running_index': breakGlassRunningIndex,
  '20261129T2000_entry_child_order': entryChildOrder,
  '20261129T2300_signal_rules': signalRules,
  '20261129T2310_record_blocking': recordBlocking,
  '20261129T2340_idempotency_per_practitioner': idempotencyPerPractitioner,
  '20261130T0200_encompass_without_school': encompassWithoutSchool,
  '20261130T1100_merged_child': mergedChild,
  '20261130T1110_corrections_follow': correctionsFollow,
  '20261130T1800_concern_routed_to': concernRoutedTo,
  '20261130T1830_signals_follow': signalsFollow,
  '20261130T1840_assessment_closed_with_team': assessmentClosedWithTeam,
  '20261130T2110_sharing_decision_concern': sharingDecisionConcern,
  '20261130T2120_signals_stranded': signalsStranded,
  '20261130T2130_second_factor_lockout': secondFactorLockout,
  '20261201T0501_concern_routed_via': concernRoutedVia,
  '20261201T0502_meeting_not_held_member_version': meetingNotHeldMemberVersion,
  '20261202T0200_signal_recheck': signalRecheck,
  '20261202T1300_audit_txid': auditTxid,
  '20261202T1310_password_change': passwordChange,
  '20261202T1700_idempotency_replay': idempotencyReplay,
}
