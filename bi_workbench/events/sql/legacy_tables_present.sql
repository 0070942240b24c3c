-- Whether the legacy tables the fallback reads still exist.
SELECT count(*) = 2 FROM unnest(ARRAY['onboarding_assessments', 'assessment_scoring_results']) AS t(name)
WHERE to_regclass(t.name) IS NOT NULL;
