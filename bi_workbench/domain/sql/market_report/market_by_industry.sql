-- Market size (USD) and growth (CAGR) per industry: industry, insights, sized, tam_usd_mean,
-- tam/sam/som_usd_median, with_growth, cagr_mean, cagr_median.
-- Continues market_report/selection.sql (the `WITH` that defines the selection), prepended when run.
SELECT industry, count(*) AS insights, count(tam) AS sized, avg(tam) AS tam_usd_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tam) AS tam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY sam) AS sam_usd_median,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY som) AS som_usd_median,
       count(cagr) AS with_growth, avg(cagr) AS cagr_mean,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY cagr) AS cagr_median
FROM chosen
GROUP BY industry
ORDER BY insights DESC, industry
