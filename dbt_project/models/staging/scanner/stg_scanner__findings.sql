with source as (

    select * from {{ source('scanner', 'findings') }}

),

renamed as (

    select
        scan_id,
        scanned_at,
        scanner,
        asset_id,
        {{ normalise_enum('asset_environment') }} as asset_environment,
        vulnerability_id,
        title,
        {{ normalise_finding_severity('severity', 'cvss_score') }} as severity,
        cvss_score,
        exploited_in_wild,
        package,
        fixed_at,
        {{ normalise_finding_class('finding_class') }} as finding_class,
        severity as severity_reported,
        finding_class as finding_class_reported,
        not {{ finding_severity_is_known('severity') }} as severity_from_cvss,
        {{ lineage_columns() }}
    from source
    where {{ not_withdrawn() }}

)

select * from renamed
