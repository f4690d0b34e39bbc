# The flow of mqant's demo chat client (mqantserver's mqtt_chat_client.py):
# connect with MQTT 3.1 and a fixed username/password, log in with the demo's
# password, join the room "mqant", say something to everyone. Written for
# Debian's python3-paho-mqtt (1.6). Every publish received is printed as one
# JSON line {"topic", "payload"} (the payload as received, a string) for the
# Go test to check; the script exits 0
# once it has the reply to its say and its own Chat/OnChat, 1 on a timeout.
#
#   python3 mqant_chat_client.py HOST PORT USER TEXT
import json
import sys
import threading

import paho.mqtt.client as mqtt

host, port, user, text = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
done = threading.Event()
seen = set()


def emit(topic, payload):
    print(json.dumps({"topic": topic, "payload": payload}, ensure_ascii=False), flush=True)


def on_connect(client, userdata, flags, rc):
    emit("$connack", str(rc))
    client.publish("Login/HD_Login/1", json.dumps({"userName": user, "passWord": "Hello,anyone!"}), qos=0, retain=False)


def on_message(client, userdata, msg):
    raw = msg.payload.decode("utf-8")
    emit(msg.topic, raw)
    payload = json.loads(raw)
    if msg.topic == "Login/HD_Login/1" and payload["Error"] == "":
        client.publish("Chat/HD_JoinChat/2", json.dumps({"roomName": "mqant"}), qos=0, retain=False)
    elif msg.topic == "Chat/HD_JoinChat/2" and payload["Error"] == "":
        client.publish("Chat/HD_Say/2", json.dumps({"roomName": "mqant", "from": user, "target": "*", "content": text}), qos=0, retain=False)
    elif msg.topic in ("Chat/HD_Say/2", "Chat/OnChat"):
        seen.add(msg.topic)
        if len(seen) == 2:
            done.set()
    elif payload.get("Error"):
        done.set()


client = mqtt.Client(protocol=mqtt.MQTTv31)
client.username_pw_set("admin", "password")
client.on_connect = on_connect
client.on_message = on_message
client.connect(host, port, 60)
client.loop_start()
ok = done.wait(10)
client.disconnect()
client.loop_stop()
sys.exit(0 if ok and len(seen) == 2 else 1)
