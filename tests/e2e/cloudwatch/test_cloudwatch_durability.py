"""Nothing acknowledged is lost on kill -9: datapoints (PutMetricData answers after its
store batch), alarms with their state, tags and history come back on restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support import ServerProcess, client


def test_metrics_and_alarms_survive_kill_9(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    srv = ServerProcess(data_dir=data).start()
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=3)
    try:
        cw = client("cloudwatch", srv.url)
        for i in range(3):
            cw.put_metric_data(Namespace="Dur", MetricData=[
                {"MetricName": "Q", "Value": float(i), "Timestamp": t0 + timedelta(minutes=i)}])
        cw.put_metric_alarm(AlarmName="d", MetricName="Q", Namespace="Dur", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold",
                            Tags=[{"Key": "k", "Value": "v"}])
        cw.set_alarm_state(AlarmName="d", StateValue="ALARM", StateReason="before the crash")
    finally:
        srv.kill9()
    again = ServerProcess(data_dir=data).start()
    try:
        cw = client("cloudwatch", again.url)
        got = cw.get_metric_statistics(Namespace="Dur", MetricName="Q", StartTime=t0,
                                       EndTime=t0 + timedelta(minutes=3), Period=60,
                                       Statistics=["Sum"])["Datapoints"]
        assert sorted(d["Sum"] for d in got) == [0.0, 1.0, 2.0]
        [a] = cw.describe_alarms()["MetricAlarms"]
        assert a["StateValue"] in ("ALARM", "OK")  # the evaluator may have run since
        assert cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"] == [
            {"Key": "k", "Value": "v"}]
        kinds = [h["HistorySummary"] for h in
                 cw.describe_alarm_history(AlarmName="d")["AlarmHistoryItems"]]
        assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in kinds
        assert cw.list_metrics(Namespace="Dur")["Metrics"][0]["MetricName"] == "Q"
    finally:
        again.stop()
